"""
Stand-in of ``lms.djangoapps.ccx.models`` for tests.

In the platform this app is installed only when the ``CUSTOM_COURSES_EDX`` feature is on.
"""
from ccx_keys.locator import CCXLocator
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CustomCourseForEdX(models.Model):
    """A CCX of the master course ``course_id``."""

    course_id = CourseKeyField(max_length=255, db_index=True)
    display_name = models.CharField(max_length=255)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    structure_json = models.TextField(verbose_name="Structure JSON", blank=True, null=True)  # noqa: DJ001

    class Meta:
        app_label = "ccx"

    def __str__(self):
        return self.display_name

    @property
    def locator(self):
        """The CCX course key, e.g. ``ccx-v1:org+course+run+ccx@7``."""
        return CCXLocator.from_course_locator(self.course_id, str(self.id))
