"""
Stand-in of ``common.djangoapps.student.roles`` for tests: course and organisation roles.

As in the platform, ``has_user`` is False for an inactive user, a user's roles are read once
and cached on the user object (``RoleCache``), and a role inherits the rights of its base role:
limited staff (``CourseLimitedStaffRole``, whose ``BASE_ROLE`` is staff) count as staff
wherever the staff role is asked (the course team listing still lists each role's own rows).
"""
from django.contrib.auth import get_user_model

from common.djangoapps.student.models import CourseAccessRole

# The roles that hold a role's rights besides itself ({base role: {derived roles}}).
ACCESS_ROLES_INHERITANCE = {"staff": {"limited_staff"}}


class RoleCache:
    """All of one user's access roles, by course id string (``ungrouped`` for organisation roles)."""

    def __init__(self, user):
        self._roles_by_course_id = {}
        for row in CourseAccessRole.objects.filter(user=user):
            key = str(row.course_id) if row.course_id else "ungrouped"
            self._roles_by_course_id.setdefault(key, []).append(row)

    def has_role(self, role, course_id, org):
        """Return whether the user has ``role`` in the course (or organisation when ``course_id`` is None)."""
        key = str(course_id) if course_id else "ungrouped"
        roles = ACCESS_ROLES_INHERITANCE.get(role, set()) | {role}
        return any(row.role in roles and row.org == org for row in self._roles_by_course_id.get(key, []))


class RoleBase:
    """A role in a course, or in an organisation."""

    def __init__(self, role_name, org="", course_key=None):
        self._role_name, self.org, self.course_key = role_name, org, course_key

    def has_user(self, user, check_user_activation=True):
        """Return whether ``user`` holds the role."""
        if check_user_activation and not (user.is_authenticated and user.is_active):
            return False
        if not hasattr(user, "_roles"):
            user._roles = RoleCache(user)  # pylint: disable=protected-access
        return user._roles.has_role(self._role_name, self.course_key, self.org)  # pylint: disable=protected-access


class CourseRole(RoleBase):
    """A role in one course."""

    def __init__(self, role, course_key):
        super().__init__(role, course_key.org, course_key)

    def users_with_role(self):
        """Return the users who hold this role in the course."""
        return get_user_model().objects.filter(
            courseaccessrole__role=self._role_name, courseaccessrole__course_id=self.course_key,
            courseaccessrole__org=self.org,
        ).order_by("username")


class CourseBetaTesterRole(CourseRole):
    """The course's beta testers."""

    def __init__(self, course_key):
        super().__init__("beta_testers", course_key)


class CourseInstructorRole(CourseRole):
    """The course's instructors (admins)."""

    def __init__(self, course_key):
        super().__init__("instructor", course_key)


class CourseStaffRole(CourseRole):
    """The course's staff."""

    ROLE = "staff"

    def __init__(self, course_key):
        super().__init__(self.ROLE, course_key)


class CourseLimitedStaffRole(CourseStaffRole):
    """The course's limited staff (staff without Studio): they hold the staff role's rights."""

    ROLE = "limited_staff"
    BASE_ROLE = CourseStaffRole.ROLE


class CourseCcxCoachRole(CourseRole):
    """The coaches of the course's CCXs."""

    def __init__(self, course_key):
        super().__init__("ccx_coach", course_key)


class CourseDataResearcherRole(CourseRole):
    """The course's data researchers."""

    def __init__(self, course_key):
        super().__init__("data_researcher", course_key)


class OrgRole(RoleBase):
    """A role in every course of an organisation."""
