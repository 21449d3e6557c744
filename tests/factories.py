"""Builders of the rows the tests need, in one place."""

import itertools

from django.contrib.auth import get_user_model
from django_celery_beat.models import CrontabSchedule, IntervalSchedule

from periodic_instructor_reports import api, catalog
from periodic_instructor_reports.models import PeriodicReportTask

COURSE = "course-v1:edX+DemoX+Demo_Course"
OTHER_COURSE = "course-v1:OrgX+CS101+2026"

_numbers = itertools.count(1)


def superuser():
    """Return the superuser the factories act as (made once per test database state)."""
    existing = get_user_model().objects.filter(username="factory-admin").first()
    return existing or get_user_model().objects.create_user(
        "factory-admin", "factory-admin@example.com", is_staff=True, is_superuser=True,
    )


def user(**fields):
    number = next(_numbers)
    defaults = {"username": f"user{number}", "email": f"user{number}@example.com"}
    return get_user_model().objects.create_user(**{**defaults, **fields})


def interval(every=1, period=IntervalSchedule.HOURS):
    return IntervalSchedule.objects.get_or_create(every=every, period=period)[0]


def crontab(minute="0", hour="7", day_of_week="*", tz="UTC"):
    return CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*", month_of_year="*",
        timezone=tz,
    )[0]


def report_task(path=catalog.GRADE_REPORT, requires_request=True, name=None):
    existing = PeriodicReportTask.objects.filter(path=path, requires_request=requires_request).first()
    if existing and name is None:
        return existing
    return api.create_report_task(
        acting_user=superuser(), name=name or f"Report {next(_numbers)}", path=path,
        requires_request=requires_request,
    )


def course(course_id, **fields):
    """Return the platform's course (``CourseOverview``) of ``course_id``, made if missing (a CCX's too)."""
    from lms.djangoapps.ccx.models import CustomCourseForEdX
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    if not isinstance(course_id, str) or len(course_id) > 255:
        return None  # no platform course has such an id
    try:
        key = CourseKey.from_string(course_id)
    except (InvalidKeyError, TypeError, AttributeError):
        return None
    if hasattr(key, "ccx"):
        master = course(str(key.to_course_locator()))
        if str(key.ccx).isdigit():
            ccx, _ = CustomCourseForEdX.objects.get_or_create(
                id=int(key.ccx), defaults={"course_id": master.id, "display_name": f"CCX {key.ccx}",
                                           "coach": superuser()},
            )
            if fields:  # the CCX's own dates, on the overview the platform keeps of it
                CourseOverview.objects.filter(id=ccx.locator).update(**fields)
        return master
    defaults = {"org": key.org, "display_name": f"{key.course} ({key.run})", **fields}
    return CourseOverview.objects.get_or_create(id=key, defaults=defaults)[0]


def schedule(acting_user=None, make_courses=True, **fields):
    """Create a schedule through the api, as a superuser unless ``acting_user`` is given; owned by staff."""
    fields.setdefault("task", report_task())
    fields.setdefault("owner", fields.pop("owner", None) or acting_user or user(is_staff=True))
    if not fields.get("crontab"):
        fields.setdefault("interval", interval())
    fields.setdefault("course_ids", [COURSE])
    if make_courses and isinstance(fields["course_ids"], list):
        for course_id in [COURSE, OTHER_COURSE, *fields["course_ids"]]:
            course(course_id)
    return api.create_schedule(acting_user=acting_user or superuser(), **fields)
