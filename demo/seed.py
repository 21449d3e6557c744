"""
The demo's sample data, written through ``periodic_instructor_reports.api`` like an admin would.

Idempotent: running it again finds what it made before and adds only what is missing.
"""

import datetime
import hashlib
import logging
import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule

from periodic_instructor_reports import api, catalog
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
DEMO_COURSE = "course-v1:edX+DemoX+Demo_Course"
OTHER_COURSE = "course-v1:OpenedX+Reports101+2026"
LEARNERS = [
    ("ada", "Ada Lovelace"),
    ("grace", "Grace Hopper"),
    ("alan", "Alan Turing"),
]
# The course team of the sample course, to sign in to its "Scheduled reports" tab: a data
# researcher of the course, and a learner the tab refuses (username, password, role or None).
COURSE_TEAM = [
    ("rhea", "Rhea Researcher", "data_researcher"),
    ("lee", "Lee Learner", None),
]
REPORT_TASKS = [
    ("Grade report", catalog.GRADE_REPORT),
    ("Problem grade report", catalog.PROBLEM_GRADE_REPORT),
    ("Profile information report", catalog.PROFILE_REPORT),
]
# A report the platform writes in the course's own folder only, copied to the schedule's folder,
# and one the dashboard builds in the request, run by the plugin's own task.
COPIED_REPORT = ("Anonymized learner ids", "lms.djangoapps.instructor_task.api.generate_anonymous_ids")
WRAPPED_REPORT = ("Issued certificates", "periodic_instructor_reports.wrapped.submit_issued_certificates")


@dataclass
class Seeded:
    """What the demo made, and where each folder structure's files appear."""

    admin_username: str
    admin_password: str
    learners: list
    learner_password: str
    ccx_id: str
    # (username, password, role on the sample course or None) of who signs in to the course tab
    course_team: list
    # structure -> glob patterns of the folders (relative to the reports folder) it writes to
    folders: dict


def admin_password():
    """Return the demo admin's password (``DEMO_ADMIN_PASSWORD``, default ``admin``)."""
    return os.environ.get("DEMO_ADMIN_PASSWORD", "admin")


def learner_password():
    """Return the learners' password (``DEMO_LEARNER_PASSWORD``, default ``learner``)."""
    return os.environ.get("DEMO_LEARNER_PASSWORD", "learner")


def course_team_password(username):
    """Return a course-team demo user's password (``DEMO_COURSE_TEAM_PASSWORD``, default the username)."""
    return os.environ.get("DEMO_COURSE_TEAM_PASSWORD") or username


def _course_team():
    """Create the course-team users with their passwords and roles on the sample course."""
    from common.djangoapps.student.models import CourseAccessRole

    for username, full_name, role in COURSE_TEAM:
        first, last = full_name.split(" ", 1)
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        if created:
            user.set_password(course_team_password(username))
            user.save(update_fields=["password"])
        if role:
            CourseAccessRole.objects.get_or_create(
                user=user, role=role, course_id=DEMO_COURSE, org=DEMO_COURSE.split(":")[1].split("+")[0]
            )
    return [(username, course_team_password(username), role) for username, _name, role in COURSE_TEAM]


def _hashed(course_id):
    return hashlib.sha1(str(course_id).encode("utf-8")).hexdigest()


def _users():
    user_model = get_user_model()
    admin = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        admin = user_model.objects.create_superuser(
            ADMIN_USERNAME, "admin@example.com", admin_password(), first_name="Demo", last_name="Admin"
        )
    for username, full_name in LEARNERS:
        first, last = full_name.split(" ", 1)
        learner, _ = user_model.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        # They sign in at /login/ to see a download refused; learners of older demos had no password.
        if not learner.password or not learner.has_usable_password():
            learner.set_password(learner_password())
            learner.save(update_fields=["password"])
    return admin


# The demo's courses across two organisations: (id, name, days from now to the start, to the end).
COURSES = [
    (DEMO_COURSE, "Demonstration Course", -90, 60),
    ("course-v1:edX+Analytics101+2025", "Analytics 101 (ended)", -200, -20),
    (OTHER_COURSE, "Reports 101", -30, 90),
    ("course-v1:OpenedX+Data201+2026", "Data 201", -10, 120),
    ("course-v1:OpenedX+Future301+2027", "Future 301 (starts in a month)", 30, 200),
]


def _courses():
    from opaque_keys.edx.keys import CourseKey
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # the stand-in's

    now = timezone.now()
    for course_id, name, start, end in COURSES:
        key = CourseKey.from_string(course_id)
        CourseOverview.objects.get_or_create(id=key, defaults={
            "org": key.org, "display_name": name, "start": now + datetime.timedelta(days=start),
            "end": now + datetime.timedelta(days=end),
        })


def _certificates():
    """Give two of the learners a certificate of the sample course (the issued certificates report)."""
    from lms.djangoapps.certificates.models import GeneratedCertificate  # the stand-in's certificates

    for username, mode in (("ada", "verified"), ("grace", "honor")):
        GeneratedCertificate.objects.get_or_create(
            user=get_user_model().objects.get(username=username), course_id=DEMO_COURSE,
            defaults={"status": "downloadable", "mode": mode},
        )


def _ccx(coach):
    from lms.djangoapps.ccx.models import CustomCourseForEdX  # the stand-in's CCX app

    ccx, _ = CustomCourseForEdX.objects.get_or_create(
        course_id=DEMO_COURSE, display_name="DemoX for a coached group", defaults={"coach": coach}
    )
    return ccx


def _report_task(admin, name, path):
    existing = PeriodicReportTask.objects.filter(path=path).order_by("pk").first()
    return existing or api.create_report_task(acting_user=admin, name=name, path=path, requires_request=True)


def _schedule(*, task, structure, prefix, **fields):
    existing = PeriodicReportSchedule.objects.filter(name=fields["name"]).first()
    if existing:
        return existing
    return api.create_schedule(
        acting_user=fields["owner"], task=task, upload_folder_structure=structure,
        upload_folder_prefix=prefix,
        **fields,
    )


def seed(*, every_seconds=20):
    """
    Create the admin, learners, a CCX, the reports and one schedule per folder structure.

    Also a schedule of a copied report and one of a wrapped report.

    Returns:
        Seeded: the login and the folders each structure's reports go to.
    """
    admin = _users()
    course_team = _course_team()
    _courses()
    _certificates()
    ccx = _ccx(admin)
    ccx_id = str(ccx.locator)
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds, period=IntervalSchedule.SECONDS
    )
    grade, problem_grade, profile = (_report_task(admin, name, path) for name, path in REPORT_TASKS)
    common = {"owner": admin, "interval": interval}
    # regular + empty prefix: the instructor dashboard's own folder, for the course and its CCX.
    _schedule(
        name="Grades in the dashboard's folder", task=grade, structure="regular", prefix="",
        course_ids=[DEMO_COURSE], include_ccx=True, **common,
    )
    _schedule(
        name="Problem grades by date", task=problem_grade, structure="by_date",
        prefix="periodic-reports/by-date/",
        course_ids=[DEMO_COURSE, OTHER_COURSE, ccx_id], **common,
    )
    _schedule(
        name="Learner profiles in one folder", task=profile, structure="flat",
        prefix="periodic-reports/flat/",
        course_ids=[DEMO_COURSE, OTHER_COURSE], include_ccx=True, **common,
    )
    # Courses chosen at each run: every running course of the OpenedX organisation.
    _schedule(
        name="Grades of running OpenedX courses", task=grade, structure="flat",
        prefix="periodic-reports/openedx/",
        course_ids=[], course_orgs=["OpenedX"], course_state="running", **common,
    )
    # A copied report (the platform writes it in the course's folder; the plugin copies it here)
    # and a wrapped one (the dashboard's in-request listing, run as the plugin's task).
    _schedule(
        name="Anonymized ids by date", task=_report_task(admin, *COPIED_REPORT), structure="by_date",
        prefix="periodic-reports/copied/", course_ids=[DEMO_COURSE, OTHER_COURSE], **common,
    )
    _schedule(
        name="Issued certificates in one folder", task=_report_task(admin, *WRAPPED_REPORT),
        structure="flat", prefix="periodic-reports/wrapped/", course_ids=[DEMO_COURSE], **common,
    )
    log.info("Demo data is in place.")
    return Seeded(
        admin_username=ADMIN_USERNAME,
        admin_password=admin_password(),
        learners=[username for username, _ in LEARNERS],
        learner_password=learner_password(),
        ccx_id=ccx_id,
        course_team=course_team,
        folders={
            "regular": [_hashed(DEMO_COURSE), _hashed(ccx_id)],
            "by_date": ["periodic-reports/by-date/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"],
            "flat": ["periodic-reports/flat"],
            "copied": ["periodic-reports/copied/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"],
            "wrapped": ["periodic-reports/wrapped"],
        },
    )
