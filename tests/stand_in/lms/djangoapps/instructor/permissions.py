"""
Stand-in of ``lms.djangoapps.instructor.permissions`` for tests.

The platform registers its rules with bridgekeeper, whose authentication backend answers
``user.has_perm("instructor.research", course)``: global staff, or the course's (or its
organisation's) data researcher role. The Data Download tab's report views require it; a few
views require another permission, registered here with the platform's rules.
"""
from bridgekeeper import perms
from bridgekeeper.rules import is_staff

from lms.djangoapps.courseware.rules import HasAccessRule, HasRolesRule

CAN_RESEARCH = "instructor.research"
ENROLLMENT_REPORT = "instructor.enrollment_report"
VIEW_ISSUED_CERTIFICATES = "instructor.view_issued_certificates"
EXAM_RESULTS = "instructor.view_exam_results"
EDIT_COURSE_ACCESS = "instructor.edit_course_access"
CERTIFICATE_EXCEPTION_VIEW = "instructor.certificate_exception_view"
CERTIFICATE_INVALIDATION_VIEW = "instructor.certificate_invalidation_view"

is_course_staff = HasAccessRule("staff")
is_instructor = HasAccessRule("instructor")
is_data_researcher = HasRolesRule("data_researcher")

perms[CAN_RESEARCH] = is_staff | is_data_researcher
perms[ENROLLMENT_REPORT] = is_staff | is_data_researcher
perms[VIEW_ISSUED_CERTIFICATES] = is_staff | is_data_researcher
perms[EXAM_RESULTS] = is_course_staff
perms[EDIT_COURSE_ACCESS] = is_instructor
perms[CERTIFICATE_EXCEPTION_VIEW] = is_staff | is_instructor
perms[CERTIFICATE_INVALIDATION_VIEW] = is_staff | is_instructor
