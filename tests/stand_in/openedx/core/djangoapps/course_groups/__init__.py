"""Stand-in of ``openedx.core.djangoapps.course_groups``: whether a course is cohorted."""
