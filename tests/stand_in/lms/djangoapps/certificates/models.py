"""
Stand-in of ``lms.djangoapps.certificates.models`` for tests: a learner's certificate of a course.

Only the fields the instructor dashboard's issued certificates listing reads (course, status,
mode) and what it counts them by.
"""
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CertificateStatuses:
    """The statuses of a certificate; ``downloadable`` is an issued one."""

    downloadable = "downloadable"
    notpassing = "notpassing"
    unavailable = "unavailable"


class GeneratedCertificate(models.Model):
    """The certificate of one learner in one course."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, blank=True, default=None)
    grade = models.CharField(max_length=5, blank=True, default="")
    status = models.CharField(max_length=32, default=CertificateStatuses.unavailable)
    mode = models.CharField(max_length=32, default="honor")
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "certificates"
        unique_together = (("user", "course_id"),)

    def __str__(self):
        return f"{self.user_id} {self.course_id} {self.status}"
