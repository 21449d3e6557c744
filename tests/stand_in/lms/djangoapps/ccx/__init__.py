"""Stand-in of ``lms.djangoapps.ccx`` (Custom Courses for edX) for tests."""
