"""Stand-in of ``common.djangoapps.student``: course access roles, for tests."""
