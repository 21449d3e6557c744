"""Stand-in of ``openedx.core.djangoapps.content.course_overviews``: the platform's course list, for tests."""
