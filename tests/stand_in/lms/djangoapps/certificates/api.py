"""Stand-in of ``lms.djangoapps.certificates.api`` for tests: the certificates tab's listings."""
from lms.djangoapps.certificates.models import CertificateAllowlist, CertificateInvalidation


def get_allowlist(course_key):
    """Return the certificate allowlist (exceptions) of the course run."""
    return CertificateAllowlist.get_certificate_allowlist(course_key)


def get_cert_invalidations_for_course(course_key):
    """Return the active certificate invalidations of the course run."""
    return CertificateInvalidation.get_certificate_invalidations(course_key)
