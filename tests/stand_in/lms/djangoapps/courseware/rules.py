"""
Stand-in of ``lms.djangoapps.courseware.rules.HasRolesRule`` for tests.

The platform's rule accepts a course key, a course block or overview (``.id``), or anything whose
text is a course key, and passes when the user holds one of the roles in that course or in the
course's organisation.
"""
from bridgekeeper.rules import Rule
from common.djangoapps.student.roles import CourseRole, OrgRole
from opaque_keys.edx.keys import CourseKey


class HasRolesRule(Rule):
    """The user holds one of ``roles`` in the course or its organisation."""

    def __init__(self, *roles):
        self.roles = roles

    def query(self, user):
        raise NotImplementedError("the platform's HasRolesRule does not filter querysets")

    def check(self, user, instance=None):
        if not user.is_authenticated:
            return False
        if isinstance(instance, CourseKey):
            course_key = instance
        elif hasattr(instance, "id") and isinstance(instance.id, CourseKey):
            course_key = instance.id
        else:
            course_key = CourseKey.from_string(str(instance))
        for role in self.roles:
            if CourseRole(role, course_key).has_user(user):
                return True
            if OrgRole(role, course_key.org).has_user(user):
                return True
        return False
