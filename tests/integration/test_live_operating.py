"""Operating schedules on the real stack: crontab runs and their history, run now with retries,
the cron fallback under concurrent invocations (following its reports itself), and the failure
e-mail."""

import datetime
import subprocess
import sys

from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from lms.djangoapps.instructor_task.models import InstructorTask

from demo import processes
from periodic_instructor_reports import api, housekeeping, timing
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from tests.integration.harness import (
    SETTINGS,
    assert_files_recorded,
    create_schedule,
    follow_up,
    mail_text,
    mails,
    reports_held,
)
from tests.integration.scenario import assert_complete_report, file_pattern, matching

# A crontab fires at most once a minute; allow for the minute boundary plus a slow worker.
CRON_DEADLINE = 100
DISALLOWED = "lms.djangoapps.instructor_task.api.submit_cohort_students"


def test_every_minute_crontab_in_tokyo_records_its_runs(stack, owner, reports):
    course = "course-v1:OrgX+Cron101+2026"
    crontab = CrontabSchedule.objects.create(minute="*", hour="*", timezone="Asia/Tokyo")
    schedule = create_schedule(
        owner, name="Every minute in Tokyo", task=reports["grade"], crontab=crontab, course_ids=[course],
        upload_folder_prefix="live-cron/", upload_folder_structure="by_date",
    )
    assert PeriodicTask.objects.get(pk=schedule.celery_task_id).crontab == crontab

    run = stack.wait(
        lambda: ReportRun.objects.filter(schedule=schedule, status="done").first(),
        "beat to fire the crontab, the run to be recorded and its report followed to its file",
        timeout=CRON_DEADLINE,
    )
    assert (run.trigger, run.counts) == ("beat", {"generated": 1})
    row = run.courses.get()
    assert (row.course_id, row.attempt, row.outcome, row.error) == (course, 1, "generated", "")
    tokyo_day = timing.run_date(schedule, run.planned_at)
    assert row.upload_parent_dir == f"live-cron/{tokyo_day:%Y-%m-%d}"
    assert InstructorTask.objects.filter(task_id=row.task_id, task_state="SUCCESS").exists()
    pattern = file_pattern("OrgX_Cron101_2026", "grade_report", course)
    files = matching(stack.files(row.upload_parent_dir), pattern)
    assert row.file_name in files, (row.file_name, files)
    assert_files_recorded([row], stack.reports_dir)
    assert_complete_report(stack.reports_dir / row.file_path, "grade_report")


def test_run_now_retries_a_course_already_running_and_records_each_attempt(stack, owner, reports, every):
    course = "course-v1:OrgX+Retry101+2026"
    # An unfinished grade report of the course, as a click on the instructor dashboard leaves.
    blocker = InstructorTask.objects.create(
        course_id=course, task_type="grade_course", task_key="", task_input="{}",
        task_id="dashboard-click", task_state="PROGRESS", requester=owner,
    )
    schedule = create_schedule(
        owner, name="Retried", task=reports["grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=[course], upload_folder_prefix="live-retry/", upload_folder_structure="flat",
    )
    api.run_schedules_now(PeriodicReportSchedule.objects.filter(pk=schedule.pk), acting_user=owner)

    run = stack.wait(
        lambda: ReportRun.objects.filter(schedule=schedule, courses__outcome="already_running").first(),
        "the manual run to be told the report is already running",
    )
    assert run.trigger == "manual"
    blocker.task_state = "SUCCESS"
    blocker.save()

    run = stack.wait(
        lambda: ReportRun.objects.filter(pk=run.pk, status="done").first(),
        "a retry to submit the report once the course is free, and its report to be generated",
    )
    # One row per course: its latest outcome, and how many attempts it took.
    row = run.courses.get()
    assert (row.course_id, row.outcome, row.error) == (course, "generated", ""), row.error
    assert row.attempt >= 2 and row.task_id
    assert run.counts == {"generated": 1}
    assert list(InstructorTask.objects.filter(course_id=course).exclude(pk=blocker.pk).values_list(
        "task_id", flat=True)) == [row.task_id]
    assert matching([row.file_name], file_pattern("OrgX_Retry101_2026", "grade_report", course))
    assert_files_recorded([row], stack.reports_dir)


def test_concurrent_cron_invocations_run_a_due_schedule_once(stack, owner, reports, every):
    course = "course-v1:OrgX+Cron202+2026"
    schedule = create_schedule(
        owner, name="Cron fallback", task=reports["problem_grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=[course], upload_folder_prefix="live-cron-fallback/", upload_folder_structure="flat",
    )
    # Created 90 minutes ago: its first hourly due time (on its own grid, from its anchor) has
    # passed (beat would wait one hour).
    ninety_minutes_ago = timezone.now() - datetime.timedelta(minutes=90)
    PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(
        created=ninety_minutes_ago, anchor=ninety_minutes_ago
    )
    schedule.refresh_from_db()
    env = processes.project_env(SETTINGS)
    command = [sys.executable, "-m", "django", "run_due_report_schedules"]

    def invoke(count):
        invocations = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        outputs = [invocation.communicate(timeout=60) for invocation in invocations]
        assert [invocation.returncode for invocation in invocations] == [0] * count, outputs
        return outputs

    # A site that runs the cron command has no beat, so no follow-up job: the running beat's
    # follow-up would otherwise catch this overdue due time up itself, and follow its report.
    with follow_up(enabled=False):
        stack.wait_quiet(housekeeping.FOLLOW_UP_BEAT_ROW, 3)
        # The report waits in its queue meanwhile, so no invocation can follow it to its end yet.
        with reports_held():
            outputs = invoke(4)
            runs = ReportRun.objects.filter(schedule=schedule)
            assert runs.count() == 1, outputs
            run = runs.get()
            assert (run.trigger, run.planned_at) == ("cron", schedule.anchor + datetime.timedelta(hours=1))
            # The dispatch ends when the platform has queued the report: the run is generating it.
            assert (run.status, run.counts) == ("generating", {"submitted": 1}), (run.status, run.counts)
            started = [out for out, _ in outputs if f"schedule {schedule.pk}: generating" in out]
            assert len(started) == 1, outputs
            assert InstructorTask.objects.filter(course_id=course).count() == 1
        stack.wait(lambda: stack.files("live-cron-fallback"), "the report of the cron run")
        stack.wait(lambda: InstructorTask.objects.filter(course_id=course, task_state="SUCCESS").exists(),
                   "the platform to finish the report")

        # The next invocation follows the report to its file, as the follow-up job would.
        (output, _), = invoke(1)
        run.refresh_from_db()
        assert (run.status, run.counts) == ("done", {"generated": 1}), (run.status, run.counts, output)
        assert "followed reports:" in output and "generated" in output, output
    assert_files_recorded(list(run.courses.all()), stack.reports_dir)
    assert InstructorTask.objects.filter(course_id=course).count() == 1


def test_a_refused_run_mails_its_owner_once_with_a_link_to_the_run(stack, admin, owner, reports, every):
    course = "course-v1:OrgX+Mail101+2026"
    task = api.create_report_task(
        acting_user=admin, name="Grade report (withdrawn, operating)", path=reports["grade"].path,
        requires_request=True,
    )
    schedule = create_schedule(
        owner, name="Refused and mailed", task=task, interval=every(1, IntervalSchedule.HOURS),
        course_ids=[course],
    )
    # The allowlist no longer has the path, as a narrowed setting after a deploy leaves it.
    PeriodicReportTask.objects.filter(pk=task.pk).update(path=DISALLOWED)
    api.run_schedules_now(PeriodicReportSchedule.objects.filter(pk=schedule.pk), acting_user=owner)

    run = stack.wait(lambda: ReportRun.objects.filter(schedule=schedule, status="refused").first(),
                     "the manual run to be refused")
    tag = f"(run {run.pk})"
    sent = stack.wait(lambda: [mail for mail in mails() if mail["Subject"].endswith(tag)],
                      "the failure e-mail (file e-mail backend)")
    assert len(sent) == 1, [mail["Subject"] for mail in sent]
    mail = sent[0]
    assert mail["Subject"] == f"Periodic report Refused and mailed: 1 of 1 courses not produced {tag}"
    assert mail["To"] == "instructor@example.com"
    text = mail_text(mail)
    assert f"  {course}: refused" in text
    link = f"/admin/periodic_instructor_reports/reportruncourse/?run__id__exact={run.pk}"
    assert text.count(link) == 1, text
    run.refresh_from_db()
    assert run.notified_at is not None
