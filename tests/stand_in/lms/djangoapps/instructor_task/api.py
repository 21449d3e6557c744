"""
Stand-in of ``lms.djangoapps.instructor_task.api`` (report functions) for tests.

Same names and signatures as the platform: only the grade, problem grade and profile reports
take ``**task_kwargs`` (so ``upload_parent_dir=``/``filename=`` elsewhere is a ``TypeError``).
Each returns the ``InstructorTask`` row it created. Report tasks use an empty ``task_key``.
"""
from lms.djangoapps.instructor_task import tasks
from lms.djangoapps.instructor_task.api_helper import submit_task
from lms.djangoapps.instructor_task.data import InstructorTaskTypes as Types


def submit_calculate_grades_csv(request, course_key, **task_kwargs):
    """Grade Report; ``task_kwargs`` become the ``task_input``."""
    return submit_task(
        request, Types.GRADE_COURSE, tasks.calculate_grades_csv, course_key, task_kwargs, ""
    )


def submit_problem_grade_report(request, course_key, **task_kwargs):
    """Problem Grade Report; ``task_kwargs`` become the ``task_input``."""
    return submit_task(
        request, Types.GRADE_PROBLEMS, tasks.calculate_problem_grade_report, course_key,
        task_kwargs, "",
    )


def submit_calculate_students_features_csv(request, course_key, features, **task_kwargs):
    """Profile Information Report of the ``features`` columns."""
    task_input = dict(features=features, **task_kwargs)
    return submit_task(
        request, Types.PROFILE_INFO_CSV, tasks.calculate_students_features_csv, course_key,
        task_input, "",
    )


def submit_calculate_may_enroll_csv(request, course_key, features):
    """Invited learners who have not enrolled yet."""
    return submit_task(
        request, Types.MAY_ENROLL_INFO_CSV, tasks.calculate_may_enroll_csv, course_key,
        {"features": features}, "",
    )


def submit_calculate_inactive_enrolled_students_csv(request, course_key, features):
    """Enrolled learners who have not activated their account."""
    return submit_task(
        request, Types.INACTIVE_ENROLLED_STUDENTS_INFO_CSV,
        tasks.calculate_inactive_enrolled_students_info_csv, course_key,
        {"features": features}, "",
    )


def submit_calculate_problem_responses_csv(
    request, course_key, problem_locations, problem_types_filter=None
):
    """Learners' answers to the given problems."""
    task_input = {
        "problem_locations": problem_locations,
        "problem_types_filter": problem_types_filter,
        "user_id": request.user.pk,
    }
    return submit_task(
        request, Types.PROBLEM_RESPONSES_CSV, tasks.calculate_problem_responses_csv, course_key,
        task_input, "",
    )


def _submit_plain(request, course_key, task_type, task_class):
    return submit_task(request, task_type, task_class, course_key, {}, "")


def submit_course_survey_report(request, course_key):
    """Course survey report."""
    return _submit_plain(
        request, course_key, Types.COURSE_SURVEY_REPORT, tasks.course_survey_report_csv
    )


def submit_proctored_exam_results_report(request, course_key):
    """Proctored exam results report."""
    return _submit_plain(
        request, course_key, Types.PROCTORED_EXAM_RESULTS_REPORT, tasks.proctored_exam_results_csv
    )


def submit_export_ora2_data(request, course_key):
    """ORA2 responses report."""
    return _submit_plain(request, course_key, Types.EXPORT_ORA2_DATA, tasks.export_ora2_data)


def submit_export_ora2_summary(request, course_key):
    """ORA2 summary report."""
    return _submit_plain(request, course_key, Types.EXPORT_ORA2_SUMMARY, tasks.export_ora2_summary)


def submit_export_ora2_submission_files(request, course_key):
    """ORA2 submission files: a zip of the learners' attachments and their list."""
    return _submit_plain(
        request, course_key, Types.EXPORT_ORA2_SUBMISSION_FILES, tasks.export_ora2_submission_files
    )


def generate_anonymous_ids(request, course_key):
    """Anonymized learner ids report."""
    return _submit_plain(
        request, course_key, Types.GENERATE_ANONYMOUS_IDS_FOR_COURSE,
        tasks.generate_anonymous_ids_for_course,
    )


def submit_cohort_students(request, course_key, file_name):
    """Cohort learners from an uploaded CSV ``file_name``."""
    return submit_task(
        request, Types.COHORT_STUDENTS, tasks.cohort_students, course_key,
        {"file_name": file_name}, "",
    )
