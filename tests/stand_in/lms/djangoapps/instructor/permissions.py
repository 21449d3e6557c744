"""
Stand-in of ``lms.djangoapps.instructor.permissions`` for tests.

The platform registers its rules with bridgekeeper, whose authentication backend answers
``user.has_perm("instructor.research", course)``: global staff, or the course's (or its
organisation's) data researcher role. The Data Download tab's report views require it.
"""
from bridgekeeper import perms
from bridgekeeper.rules import is_staff

from lms.djangoapps.courseware.rules import HasRolesRule

CAN_RESEARCH = "instructor.research"

is_data_researcher = HasRolesRule("data_researcher")

perms[CAN_RESEARCH] = is_staff | is_data_researcher
