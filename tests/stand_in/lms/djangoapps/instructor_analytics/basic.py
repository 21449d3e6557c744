"""
Stand-in of ``lms.djangoapps.instructor_analytics.basic`` for tests: what the dashboard lists.

Same names, signatures and return shapes as the platform's. The enrolled learners' listing
takes the course's active enrollments (``CourseEnrollment``), ordered by username like the
platform's; the stand-in's background reports still take every active user.
"""
import datetime
from html import escape

from django.contrib.auth import get_user_model
from django.db.models import Count

from lms.djangoapps.certificates.models import CertificateStatuses, GeneratedCertificate

STUDENT_FEATURES = (
    "id", "username", "first_name", "last_name", "is_staff", "email", "date_joined", "last_login",
)
PROFILE_FEATURES = ("name", "language", "location", "year_of_birth", "gender", "level_of_education",
                    "mailing_address", "goals", "meta", "city", "country")
PROGRAM_ENROLLMENT_FEATURES = ("external_user_key",)
ENROLLMENT_FEATURES = ("enrollment_date",)
AVAILABLE_FEATURES = STUDENT_FEATURES + PROFILE_FEATURES + PROGRAM_ENROLLMENT_FEATURES + ENROLLMENT_FEATURES
CERTIFICATE_FEATURES = ("course_id", "mode", "status", "grade", "created_date", "is_active", "error_reason")
UNAVAILABLE = "[unavailable]"


def issued_certificates(course_key, features):
    """
    Return one dict per certificate mode: how many certificates of the course were issued.

    Each has the requested ``CERTIFICATE_FEATURES``, ``total_issued_certificate``,
    ``report_run_date`` (today, "%B %d, %Y") and ``course_id`` as text.
    """
    report_run_date = datetime.date.today().strftime("%B %d, %Y")
    certificate_features = [feature for feature in CERTIFICATE_FEATURES if feature in features]
    generated = GeneratedCertificate.eligible_certificates.filter(
        course_id=course_key, status=CertificateStatuses.downloadable,
    ).values(*certificate_features).annotate(total_issued_certificate=Count("mode"))
    rows = list(generated.order_by(*certificate_features))
    for row in rows:
        row["report_run_date"] = report_run_date
        row["course_id"] = str(row.get("course_id", course_key))
    return rows


def enrolled_students_features(course_key, features):
    """Return one dict per active enrollment in the course (ordered by username) with the features."""
    users = get_user_model().objects.filter(
        courseenrollment__course_id=course_key, courseenrollment__is_active=True,
    ).order_by("username")
    return [{name: _feature(user, name) for name in features} for user in users]


def _feature(user, name):
    if name == "name":
        return user.get_full_name()
    if name in STUDENT_FEATURES:
        value = getattr(user, name)
        return str(value) if isinstance(value, datetime.datetime) else value
    if name == "enrollment_mode":
        return "audit"
    if name == "enrollment_date":
        return user.date_joined
    if name == "cohort":
        return "[unassigned]"
    if name == "team":
        return UNAVAILABLE
    return ""  # profile, program enrollment and verification values: none here


def dump_grading_context(course):
    """Return the course's grading context as the platform renders it: escaped text in ``<pre>``."""
    hbar = "-" * 77 + "\n"
    msg = hbar + "Course grader:\n" + f"{course.grader.__class__}\n\nGraded sections:\n"
    for subgrader, category, weight in course.grader.subgraders:
        msg += (f"  subgrader={subgrader.__class__}, type={subgrader.type}, category={category}, "
                f"weight={weight}\n")
    msg += hbar + f"Listing grading context for course {course.id}\n" + "graded sections:\n"
    msg += f"{list(course.graded_subsections)}\n"
    for assignment_type, subsections in course.graded_subsections.items():
        msg += f"  ----------------------------------------\n  {assignment_type}\n"
        for index, subsection in enumerate(subsections, start=1):
            msg += f"    {index}. {subsection}\n"
    msg += "all graded blocks:\n" + f"length={sum(map(len, course.graded_subsections.values()))}\n"
    return f"<pre>{escape(msg, quote=False)}</pre>"
