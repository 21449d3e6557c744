"""Stand-in of ``lms.djangoapps.instructor.access`` for tests: who holds a course role."""
from common.djangoapps.student.roles import (
    CourseBetaTesterRole,
    CourseCcxCoachRole,
    CourseDataResearcherRole,
    CourseInstructorRole,
    CourseLimitedStaffRole,
    CourseStaffRole,
)

ROLES = {
    "beta": CourseBetaTesterRole,
    "instructor": CourseInstructorRole,
    "staff": CourseStaffRole,
    "limited_staff": CourseLimitedStaffRole,
    "ccx_coach": CourseCcxCoachRole,
    "data_researcher": CourseDataResearcherRole,
}


def list_with_level(course_id, level):
    """Return the users who hold the course role ``level`` (a key of ``ROLES``)."""
    return ROLES[level](course_id).users_with_role()
