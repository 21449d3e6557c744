"""
Schedules made through the api produce real report files through beat, a worker and Redis, and the
follow-up job records each file on its course.
"""

import json

from django.utils import timezone
from lms.celery import APP
from lms.djangoapps.ccx.models import CustomCourseForEdX
from lms.djangoapps.instructor_task.api_helper import HIGH_MEM_QUEUE
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api
from tests.integration.harness import QUEUED, assert_files_recorded, course_rows, create_schedule, done_runs
from tests.integration.scenario import assert_complete_report, file_pattern, hashed, matching

COURSE = "course-v1:edX+DemoX+Demo_Course"
COURSE_PREFIX = "edX_DemoX_Demo_Course"
# report -> (folder structure it is scheduled with, its file name, its platform task type)
REPORTS = {
    "grade": ("regular", "grade_report", "grade_course"),
    "problem_grade": ("by_date", "problem_grade_report", "grade_problems"),
    "profile": ("flat", "student_profile_info", "profile_info_csv"),
}


def test_each_folder_structure_gets_reports_for_a_course_and_its_ccx(stack, owner, reports, every):
    ccx = CustomCourseForEdX.objects.create(course_id=COURSE, display_name="Coached DemoX", coach=owner)
    ccx_id = str(ccx.locator)
    first_day = timezone.localdate()
    schedules = {
        report: create_schedule(
            owner, name=f"Live {report} ({structure})", task=reports[report], interval=every(2),
            course_ids=[COURSE, ccx_id], upload_folder_prefix=f"live-{structure}/",
            upload_folder_structure=structure,
        )
        for report, (structure, _, _) in REPORTS.items()
    }

    def expected():
        """(folder, file name pattern, course id) of every report the three schedules write."""
        days = sorted({first_day, timezone.localdate()})
        return [
            (f"live-regular/{hashed(COURSE)}", file_pattern(COURSE_PREFIX, "grade_report"), COURSE),
            (f"live-regular/{hashed(ccx_id)}", file_pattern(COURSE_PREFIX, "grade_report"), ccx_id),
        ] + [
            (f"live-by_date/{day:%Y-%m-%d}", file_pattern(COURSE_PREFIX, "problem_grade_report", course),
             course)
            for day in days
            for course in (COURSE, ccx_id)
        ] + [
            ("live-flat", file_pattern(COURSE_PREFIX, "student_profile_info", course), course)
            for course in (COURSE, ccx_id)
        ]

    def all_written():
        found = {}
        for folder, pattern, course in expected():
            names = matching(stack.files(folder), pattern)
            if names:
                found.setdefault((pattern.pattern, course), (folder, names[0]))
        wanted = {(pattern.pattern, course) for _, pattern, course in expected()}
        return found if set(found) == wanted else None

    written = stack.wait(all_written, "report files of all three structures for the course and its CCX")

    for (pattern, _), (folder, name) in written.items():
        report_name = next(r[1] for r in REPORTS.values() if r[1] in pattern)
        assert_complete_report(stack.reports_dir / folder / name, report_name)
    for report, (structure, _, task_type) in REPORTS.items():
        for course in (COURSE, ccx_id):
            rows = InstructorTask.objects.filter(task_type=task_type, course_id=course, task_state="SUCCESS")
            folders = {json.loads(row.task_input)["upload_parent_dir"] for row in rows}
            assert folders, (report, course)
            if structure == "regular":
                assert folders == {f"live-regular/{hashed(course)}"}
            elif structure == "by_date":
                days = (first_day, timezone.localdate())
                assert folders <= {f"live-by_date/{day:%Y-%m-%d}" for day in days}
            else:
                assert folders == {"live-flat/"}
        schedule = schedules[report]
        run = stack.wait(
            lambda schedule=schedule: next(iter(done_runs(schedule, courses=[COURSE, ccx_id])), None),
            f"a run of the {report} schedule done with both courses' reports generated",
        )
        recorded = dict(run.courses.values_list("course_id", "task_id"))
        assert set(recorded) == {COURSE, ccx_id}
        platform = InstructorTask.objects.filter(task_id__in=recorded.values(), task_type=task_type)
        assert {str(row.course_id): row.task_id for row in platform} == recorded
        # Each course's row names its own file, in the folder of its structure.
        assert_files_recorded(list(run.courses.all()), stack.reports_dir)


def test_an_overlapping_schedule_gets_already_running_and_the_first_file_stays_whole(
    stack, owner, reports, every
):
    course = "course-v1:OrgX+Overlap101+2026"
    # Hold grade reports in the queue, as a busy high_mem worker would: the first submission
    # stays unfinished while the second schedule runs.
    replies = APP.control.cancel_consumer(HIGH_MEM_QUEUE, reply=True, timeout=10, limit=1)
    assert replies, "the worker did not answer the remote control command"
    try:
        first = create_schedule(
            owner, name="Overlap first", task=reports["grade"], interval=every(2), course_ids=[course],
            upload_folder_prefix="overlap-first/", upload_folder_structure="flat",
        )
        stack.wait(
            lambda: course_rows(first, outcome="submitted").exists(),
            "the first schedule to submit its report",
        )
        second = create_schedule(
            owner, name="Overlap second", task=reports["grade"], interval=every(2), course_ids=[course],
            upload_folder_prefix="overlap-second/", upload_folder_structure="flat",
        )
        refused = stack.wait(
            lambda: course_rows(second, outcome="already_running").first(),
            "the second schedule to be told the report is already running",
        )
        assert refused.course_id == course
        assert refused.error.startswith("AlreadyRunningError: The grade report is being created")
        api.set_schedules_enabled([first, second], enabled=False, acting_user=owner)
    finally:
        APP.control.add_consumer(HIGH_MEM_QUEUE, reply=True, timeout=10, limit=1)

    row = stack.wait(
        lambda: InstructorTask.objects.filter(course_id=course, task_state="SUCCESS").first(),
        "the first schedule's report to be generated",
    )
    assert InstructorTask.objects.filter(course_id=course).count() == 1
    assert json.loads(row.task_input)["upload_parent_dir"] == "overlap-first/"
    files = stack.files("overlap-first")
    assert len(files) == 1 and matching(files, file_pattern("OrgX_Overlap101_2026", "grade_report", course))
    assert_complete_report(stack.reports_dir / "overlap-first" / files[0], "grade_report")
    assert not stack.files("overlap-second")
    assert not course_rows(second, outcome__in=QUEUED).exists(), (
        "the second schedule must never have submitted"
    )
    # The follow-up job records the first schedule's file on its course once the report is written.
    generated = stack.wait(lambda: course_rows(first, outcome="generated").first(),
                           "the first schedule's course to be recorded generated")
    assert (generated.task_id, generated.file_path) == (row.task_id, f"overlap-first/{files[0]}")
    assert_files_recorded([generated], stack.reports_dir)
