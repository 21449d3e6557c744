"""
Stand-in of ``openedx.core.djangoapps.content.course_overviews.models.CourseOverview`` for tests.

The platform keeps one row per course (its key is the primary key) with the course's display
name, organisation and dates; only the fields the plugin reads are here.
"""
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CourseOverview(models.Model):
    """A course of the platform, as the LMS lists it."""

    id = CourseKeyField(db_index=True, primary_key=True, max_length=255)
    display_name = models.TextField(null=True)  # noqa: DJ001  (as the platform)
    org = models.TextField(max_length=255, default="outdated_entry")
    start = models.DateTimeField(null=True)
    end = models.DateTimeField(null=True)

    class Meta:
        app_label = "course_overviews"

    def __str__(self):
        return str(self.id)
