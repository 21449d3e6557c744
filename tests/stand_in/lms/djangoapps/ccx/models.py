"""
Stand-in of ``lms.djangoapps.ccx.models`` for tests.

In the platform this app is installed only when the ``CUSTOM_COURSES_EDX`` feature is on.

The platform keeps a course overview of each CCX (``CourseOverview.get_from_id`` loads it through
the CCX modulestore wrapper, and publishing the CCX refreshes it): its id is the CCX's key, its
organisation the master course's, its name and dates the CCX's own (the CCX's overrides). Here
the overview is made when the CCX is saved; its dates start empty, as a CCX without a schedule.
"""
from ccx_keys.locator import CCXLocator
from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
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


@receiver(post_save, sender=CustomCourseForEdX)
def keep_an_overview(sender, instance, **kwargs):  # pylint: disable=unused-argument  # noqa: ARG001  (a receiver's signature)
    """Keep the CCX's course overview, as the platform does once the CCX is loaded or published."""
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-outside-toplevel
        CourseOverview,
    )

    key = instance.locator
    CourseOverview.objects.update_or_create(
        id=key, defaults={"org": key.org, "display_name": instance.display_name},
    )
