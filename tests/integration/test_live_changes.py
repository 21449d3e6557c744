"""A running beat follows schedule changes made through the api, and refuses disallowed paths."""

from django_celery_beat.models import IntervalSchedule, PeriodicTask
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api, beat
from periodic_instructor_reports.models import PeriodicReportTask
from tests.integration.harness import create_schedule, runs, submitted_runs

# Longer than an interval of 2 s plus beat's 1 s loop: a schedule beat still runs cannot stay
# this quiet.
QUIET = 6
# A platform report outside the allowlist.
DISALLOWED = "lms.djangoapps.instructor_task.api.submit_cohort_students"


def test_interval_pause_resume_and_delete_reach_the_running_beat(stack, owner, reports, every):
    beat_process = stack.children.processes["beat"]
    starts = stack.children.log("beat").count("beat: Starting...")
    schedule = create_schedule(
        owner, name="Changes", task=reports["problem_grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=["course-v1:OrgX+Changes101+2026"], upload_folder_prefix="changes/",
        upload_folder_structure="flat",
    )
    row = beat.beat_row_name(schedule.pk)
    assert PeriodicTask.objects.get(name=row).interval.every == 1

    api.update_schedule(schedule, acting_user=owner, interval=every(2))
    stack.wait(lambda: stack.sends_of(row) >= 2 and submitted_runs(schedule) >= 2,
               "beat to run the schedule every 2 s")
    assert stack.files("changes")

    api.set_schedules_enabled([schedule], enabled=False, acting_user=owner)
    sends = stack.wait_quiet(row, QUIET)
    submitted, files = submitted_runs(schedule), stack.files("changes")

    api.set_schedules_enabled([schedule], enabled=True, acting_user=owner)
    stack.wait(lambda: stack.sends_of(row) > sends and submitted_runs(schedule) > submitted,
               "beat to run the resumed schedule again")
    stack.wait(lambda: len(stack.files("changes")) > len(files), "a new report file after resuming")

    api.delete_schedule(schedule, acting_user=owner)
    assert not PeriodicTask.objects.filter(name=row).exists()
    stack.wait_quiet(row, QUIET)

    assert beat_process.poll() is None, "beat stopped"
    assert stack.children.log("beat").count("beat: Starting...") == starts, "beat was restarted"


def test_a_disallowed_path_is_refused_at_dispatch_and_beat_runs_the_others(
    stack, admin, owner, reports, every
):
    healthy = create_schedule(
        owner, name="Healthy", task=reports["profile"], interval=every(2),
        course_ids=["course-v1:OrgX+Healthy101+2026"], upload_folder_prefix="healthy/",
        upload_folder_structure="flat",
    )
    withdrawn = api.create_report_task(
        acting_user=admin, name="Grade report (to be withdrawn)", path=reports["grade"].path,
        requires_request=True,
    )
    refused_course = "course-v1:OrgX+Refused101+2026"
    doomed = create_schedule(
        owner, name="Doomed", task=withdrawn, interval=every(2), course_ids=[refused_course],
        upload_folder_prefix="refused/", upload_folder_structure="flat", enabled=False,
    )
    # The row now names a report outside the allowlist, as a direct database edit (or an
    # allowlist narrowed by a deploy) leaves it; the api would not have saved it.
    PeriodicReportTask.objects.filter(pk=withdrawn.pk).update(path=DISALLOWED)
    api.set_schedules_enabled([doomed], enabled=True, acting_user=owner)

    refusal = stack.wait(
        lambda: runs(doomed, status="refused").first(), "the dispatcher to refuse the disallowed path",
    )
    assert "is not an allowed report function" in refusal.error
    assert list(refusal.courses.values_list("course_id", "outcome")) == [(refused_course, "refused")]
    assert f"Periodic report schedule {doomed.pk} refused" in stack.children.log("worker")

    healthy_runs = submitted_runs(healthy)
    stack.wait(
        lambda: submitted_runs(healthy) >= healthy_runs + 2 and runs(doomed, status="refused").count() >= 2,
        "beat to go on running the healthy schedule (and refusing the other)",
    )
    assert stack.files("healthy")
    assert not stack.files("refused")
    assert not InstructorTask.objects.filter(course_id=refused_course).exists()
    assert not InstructorTask.objects.filter(task_type="cohort_students").exists()
