"""
Stand-in of ``common.djangoapps.student.models`` (``CourseAccessRole``, ``CourseEnrollment``) for tests.

A row gives a user a role in one course (``course_id`` set, ``org`` its org) or in every course
of an organisation (``course_id`` empty). Only the fields the role rules read.
"""
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CourseAccessRole(models.Model):
    """A user's role in a course or an organisation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    org = models.CharField(max_length=64, db_index=True, blank=True)
    course_id = CourseKeyField(max_length=255, db_index=True, blank=True)
    role = models.CharField(max_length=64, db_index=True)

    class Meta:
        app_label = "student"
        unique_together = ("user", "org", "course_id", "role")

    def __str__(self):
        return f"{self.user_id} {self.role} {self.org} {self.course_id}"


class CourseEnrollment(models.Model):
    """A learner's enrollment in a course: the dashboard's listings take the active ones."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    created = models.DateTimeField(auto_now_add=True, null=True, db_index=True)
    is_active = models.BooleanField(default=True)
    mode = models.CharField(default="audit", max_length=100)

    class Meta:
        app_label = "student"
        unique_together = (("user", "course_id"),)

    def __str__(self):
        return f"{self.user_id} {self.course_id} {self.mode} {self.is_active}"
