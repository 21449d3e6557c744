"""
Stand-in of ``lms.djangoapps.certificates.models`` for tests: a learner's certificate of a course,
the certificate exceptions (allowlist) and invalidations the certificates tab lists.

Only the fields the instructor dashboard's listings read, and their list methods with the
platform's return shapes.
"""
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CertificateStatuses:
    """The statuses of a certificate; ``downloadable`` is an issued one."""

    downloadable = "downloadable"
    notpassing = "notpassing"
    unavailable = "unavailable"
    audit_passing = "audit_passing"
    audit_notpassing = "audit_notpassing"


class EligibleCertificateManager(models.Manager):
    """The certificates of learners in a certificate-granting mode: audit ones left out."""

    def get_queryset(self):
        return super().get_queryset().exclude(
            status__in=(CertificateStatuses.audit_passing, CertificateStatuses.audit_notpassing),
        )


class GeneratedCertificate(models.Model):
    """The certificate of one learner in one course."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, blank=True, default=None)
    grade = models.CharField(max_length=5, blank=True, default="")
    status = models.CharField(max_length=32, default=CertificateStatuses.unavailable)
    mode = models.CharField(max_length=32, default="honor")
    created_date = models.DateTimeField(auto_now_add=True)

    objects = models.Manager()
    eligible_certificates = EligibleCertificateManager()

    class Meta:
        app_label = "certificates"
        unique_together = (("user", "course_id"),)

    def __str__(self):
        return f"{self.user_id} {self.course_id} {self.status}"


class CertificateAllowlist(models.Model):
    """A learner allowed a certificate of a course whatever their grade (a certificate exception)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, blank=True, default=None)
    allowlist = models.BooleanField(default=0)
    notes = models.TextField(default=None, null=True)  # noqa: DJ001  (as the platform's)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "certificates"
        unique_together = [["course_id", "user"]]

    def __str__(self):
        return f"{self.user_id} {self.course_id}"

    @classmethod
    def get_certificate_allowlist(cls, course_id, student=None):
        """Return the course's allowlist as dicts (id, user id, name and e-mail, course, dates, notes)."""
        allowlist = cls.objects.filter(course_id=course_id, allowlist=True).select_related("user")
        allowlist = allowlist.order_by("id")
        if student:
            allowlist = allowlist.filter(user=student)
        generated = {
            certificate["user"]: certificate["created_date"]
            for certificate in GeneratedCertificate.objects.filter(
                course_id=course_id, user__in=[item.user for item in allowlist],
                status=CertificateStatuses.downloadable,
            ).values("user", "created_date")
        }
        dates = {user: created.strftime("%B %d, %Y") for user, created in generated.items()}
        return [{
            "id": item.id,
            "user_id": item.user.id,
            "user_name": str(item.user.username),
            "user_email": str(item.user.email),
            "course_id": str(item.course_id),
            "created": item.created.strftime("%B %d, %Y"),
            "certificate_generated": dates.get(item.user.id, ""),
            "notes": str(item.notes or ""),
        } for item in allowlist]


class CertificateInvalidation(models.Model):
    """A learner's certificate invalidated by course staff."""

    generated_certificate = models.ForeignKey(GeneratedCertificate, on_delete=models.CASCADE)
    invalidated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notes = models.TextField(default=None, null=True)  # noqa: DJ001  (as the platform's)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "certificates"

    def __str__(self):
        return f"Certificate {self.generated_certificate_id}, invalidated by {self.invalidated_by_id}"

    @classmethod
    def get_certificate_invalidations(cls, course_key, student=None):
        """Return the course's active invalidations as dicts (id, username, invalidator, created, notes)."""
        invalidations = cls.objects.filter(
            generated_certificate__course_id=course_key, active=True,
        ).select_related("generated_certificate__user", "invalidated_by").order_by("id")
        if student:
            invalidations = invalidations.filter(generated_certificate__user=student)
        return [{
            "id": item.id,
            "user": item.generated_certificate.user.username,
            "invalidated_by": item.invalidated_by.username,
            "created": item.created.strftime("%B %d, %Y"),
            "notes": item.notes,
        } for item in invalidations]
