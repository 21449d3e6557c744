"""Stand-in of ``lms.djangoapps.certificates``: the certificates a course issued, for tests."""
