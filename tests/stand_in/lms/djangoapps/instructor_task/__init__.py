"""Stand-in of ``lms.djangoapps.instructor_task`` (the platform's report API) for tests."""
