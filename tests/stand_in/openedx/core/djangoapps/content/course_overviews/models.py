"""
Stand-in of ``openedx.core.djangoapps.content.course_overviews.models.CourseOverview`` for tests.

The platform keeps one row per course (its key is the primary key) with the course's display
name, organisation and dates; only the fields the plugin reads are here.

``STAND_IN_COURSE_LOOKUP_DELAY`` (seconds, default 0) makes each query of the course list that
long, like a busy database: a fault scenario stops a worker while it records a run's courses.
"""
import time

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


def _pause():
    delay = float(getattr(settings, "STAND_IN_COURSE_LOOKUP_DELAY", 0) or 0)
    if delay:
        time.sleep(delay)


class _Courses(models.QuerySet):
    def count(self):
        _pause()
        return super().count()

    def _fetch_all(self):
        if self._result_cache is None:
            _pause()
        super()._fetch_all()


class CourseOverview(models.Model):
    """A course of the platform, as the LMS lists it."""

    id = CourseKeyField(db_index=True, primary_key=True, max_length=255)
    display_name = models.TextField(null=True)  # noqa: DJ001  (as the platform)
    org = models.TextField(max_length=255, default="outdated_entry")
    start = models.DateTimeField(null=True)
    end = models.DateTimeField(null=True)

    objects = _Courses.as_manager()

    class Meta:
        app_label = "course_overviews"

    def __str__(self):
        return str(self.id)
