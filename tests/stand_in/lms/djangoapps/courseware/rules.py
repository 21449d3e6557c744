"""
Stand-in of ``lms.djangoapps.courseware.rules`` (``HasRolesRule``, ``HasAccessRule``) for tests.

The platform's rule accepts a course key, a course block or overview (``.id``), or anything whose
text is a course key, and passes when the user holds one of the roles in that course or in the
course's organisation.
"""
from bridgekeeper.rules import Rule
from common.djangoapps.student.roles import CourseRole, OrgRole
from opaque_keys.edx.keys import CourseKey


def _course_key(instance):
    if isinstance(instance, CourseKey):
        return instance
    if hasattr(instance, "id") and isinstance(instance.id, CourseKey):
        return instance.id
    return CourseKey.from_string(str(instance))


# The roles ``has_access(user, action, course)`` accepts for an action, in the course or its
# organisation (an instructor has staff access too); global staff has every access.
ACCESS_ROLES = {"staff": ("staff", "instructor"), "instructor": ("instructor",)}


class HasAccessRule(Rule):
    """The user has ``action`` access (``staff`` or ``instructor``) to the course."""

    def __init__(self, action):
        self.action = action

    def query(self, user):
        raise NotImplementedError("the platform's HasAccessRule does not filter querysets")

    def check(self, user, instance=None):
        if not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        course_key = _course_key(instance)
        return any(
            CourseRole(role, course_key).has_user(user) or OrgRole(role, course_key.org).has_user(user)
            for role in ACCESS_ROLES[self.action]
        )


class HasRolesRule(Rule):
    """The user holds one of ``roles`` in the course or its organisation."""

    def __init__(self, *roles):
        self.roles = roles

    def query(self, user):
        raise NotImplementedError("the platform's HasRolesRule does not filter querysets")

    def check(self, user, instance=None):
        if not user.is_authenticated:
            return False
        course_key = _course_key(instance)
        for role in self.roles:
            if CourseRole(role, course_key).has_user(user):
                return True
            if OrgRole(role, course_key.org).has_user(user):
                return True
        return False
