"""Stand-in of ``lms.djangoapps.instructor``: the instructor dashboard's permissions, for tests."""
