"""Stand-in of ``lms.djangoapps.instructor_task.data`` for tests: the platform's task types."""
from enum import Enum


class InstructorTaskTypes(str, Enum):  # noqa: UP042  (the platform uses str + Enum)
    """Task types of the report tasks, spelled as the platform spells them."""

    COHORT_STUDENTS = "cohort_students"
    COURSE_SURVEY_REPORT = "course_survey_report"
    EXPORT_ORA2_DATA = "export_ora2_data"
    EXPORT_ORA2_SUBMISSION_FILES = "export_ora2_submission_files"
    EXPORT_ORA2_SUMMARY = "export_ora2_summary"
    GENERATE_ANONYMOUS_IDS_FOR_COURSE = "generate_anonymous_ids_for_course"
    GRADE_COURSE = "grade_course"
    GRADE_PROBLEMS = "grade_problems"
    INACTIVE_ENROLLED_STUDENTS_INFO_CSV = "inactive_enrolled_students_info_csv"
    MAY_ENROLL_INFO_CSV = "may_enroll_info_csv"
    PROBLEM_RESPONSES_CSV = "problem_responses_csv"
    PROCTORED_EXAM_RESULTS_REPORT = "proctored_exam_results_report"
    PROFILE_INFO_CSV = "profile_info_csv"
