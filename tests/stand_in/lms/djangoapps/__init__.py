"""Stand-in of ``lms.djangoapps`` for tests."""
