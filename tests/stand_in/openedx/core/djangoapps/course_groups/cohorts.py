"""
Stand-in of ``openedx.core.djangoapps.course_groups.cohorts`` for tests.

On the platform a course's cohort settings are a database row, made from the course's
``cohort_config`` advanced setting the first time they are asked for; here the stand-in course
(``openedx.core.lib.courses``) answers from that setting directly.
"""
from openedx.core.lib.courses import get_course_by_id


def is_course_cohorted(course_key):
    """Return whether the course (or the CCX's master course) is cohorted."""
    return get_course_by_id(course_key).is_cohorted
