"""Stand-in of ``lms.djangoapps.instructor_analytics``: the dashboard's data listings, for tests."""
