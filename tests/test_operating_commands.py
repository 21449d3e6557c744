"""Run now, the cron fallback and run history retention, as operators use them."""

import datetime
import io
import socket
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api, beat, catalog, housekeeping, retention, sending, tasks
from periodic_instructor_reports.exceptions import BrokerUnavailable
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import due
from tests import factories, reports
from tests.base import ReportFilesMixin, at_midday

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE
ALLOWED = reports.ALL + [catalog.GRADE_REPORT]


def command(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def age(schedule, **delta):
    """Pretend the schedule was created (and its due times started) ``delta`` ago."""
    then = timezone.now() - datetime.timedelta(**delta)
    PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(created=then, anchor=then)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=ALLOWED)
class RunReportScheduleCommandTests(ReportFilesMixin, TestCase):
    def setUp(self):
        super().setUp()
        reports.CALLS.clear()

    def test_runs_now_and_records_a_manual_run(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        output = command("run_report_schedule", str(schedule.pk))
        run = ReportRun.objects.get()
        self.assertEqual((run.trigger, run.counts), ("manual", {"submitted": 2}))
        self.assertIn(f"{COURSE}: submitted (", output)
        self.assertIn(f"Schedule {schedule.pk}: generating, run {run.pk}.", output)
        self.assertEqual(len(self.report_files()), 2)

    def test_only_the_given_courses(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        command("run_report_schedule", str(schedule.pk), "--course", OTHER)
        self.assertEqual(list(ReportRunCourse.objects.values_list("course_id", flat=True)), [OTHER])

    def test_a_course_the_schedule_does_not_have(self):
        schedule = factories.schedule()
        message = f"Not courses of schedule {schedule.pk}: course-v1:X+Y+Z"
        with self.assertRaisesMessage(CommandError, message):
            command("run_report_schedule", str(schedule.pk), "--course", "course-v1:X+Y+Z")
        self.assertFalse(ReportRun.objects.exists())

    def test_dry_run_prints_calls_and_folders_and_calls_nothing(self):
        owner = factories.user(is_staff=True)
        schedule = factories.schedule(
            owner=owner, task=factories.report_task("tests.reports.recording_report"),
            course_ids=[COURSE, OTHER], keyword_arguments={"filename": "weekly"},
            upload_folder_structure="flat", upload_folder_prefix="periodic/",
        )
        output = command("run_report_schedule", str(schedule.pk), "--dry-run")
        self.assertIn(
            f"{COURSE}: would call tests.reports.recording_report(<request of user {owner.pk}>, "
            f"'{COURSE}', filename='weekly_bb6d638a29605974', upload_parent_dir='periodic/')", output,
        )
        self.assertIn("    upload folder: 'periodic/'", output)
        self.assertIn(f"{OTHER}: would call", output)
        self.assertIn("Dry run: nothing was called", output)
        self.assertEqual(reports.CALLS, [])
        self.assertFalse(ReportRun.objects.exists())
        self.assertFalse(InstructorTask.objects.exists())

    @at_midday
    def test_dry_run_by_date_folder_and_course_filter(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER], upload_folder_structure="by_date",
                                      upload_folder_prefix="d/")
        output = command("run_report_schedule", str(schedule.pk), "--dry-run", "--course", COURSE)
        self.assertIn(f"upload folder: 'd/{timezone.localdate():%Y-%m-%d}'", output)
        self.assertNotIn(OTHER, output)
        self.assertFalse(InstructorTask.objects.exists())

    def test_paused_schedule_runs_on_request(self):
        schedule = factories.schedule(enabled=False)
        command("run_report_schedule", str(schedule.pk))
        self.assertEqual(ReportRun.objects.get().counts, {"submitted": 1})

    def test_missing_and_refused(self):
        with self.assertRaisesMessage(CommandError, "There is no periodic report schedule 999"):
            command("run_report_schedule", "999")
        schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"))
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=[catalog.GRADE_REPORT]):
            with self.assertRaisesMessage(CommandError, "would be refused: tests.reports.recording_report"):
                command("run_report_schedule", str(schedule.pk), "--dry-run")
            with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
                with self.assertRaisesMessage(CommandError, "was refused"):
                    command("run_report_schedule", str(schedule.pk))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=ALLOWED)
class RunNowActionApiTests(TestCase):
    def test_run_now_queues_a_manual_run(self):
        schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"))
        boss = factories.superuser()
        with mock.patch.object(sending, "send") as send:
            self.assertEqual(api.run_schedules_now(PeriodicReportSchedule.objects.all(), acting_user=boss), 1)
        send.assert_called_once_with(
            beat.DISPATCH_TASK, args=[schedule.pk], kwargs={"trigger": "manual", "requested_by": boss.pk},
            queue=None, connection=mock.ANY, retry=False,
        )

    def test_the_dispatch_is_sent_by_name_unless_celery_runs_tasks_eagerly(self):
        app = tasks.dispatch_report_schedule.app
        saved = app.conf.task_always_eager
        app.conf.task_always_eager = False
        self.addCleanup(setattr, app.conf, "task_always_eager", saved)
        with mock.patch.object(app, "send_task") as send_task:
            sending.send(
                beat.DISPATCH_TASK, args=[7], kwargs={"trigger": "manual"}, queue="reports", retry=False,
            )
        send_task.assert_called_once_with(
            beat.DISPATCH_TASK, args=[7], kwargs={"trigger": "manual"}, queue="reports", retry=False,
        )
        self.assertEqual(app.tasks[beat.DISPATCH_TASK], tasks.dispatch_report_schedule)

    def test_an_unreachable_broker_queues_nothing_and_says_so_at_once(self):
        factories.schedule(task=factories.report_task("tests.reports.recording_report"))
        app = tasks.dispatch_report_schedule.app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        saved = app.conf.broker_url, app.conf.task_always_eager
        app.conf.broker_url, app.conf.task_always_eager = f"amqp://guest:guest@127.0.0.1:{port}//", False
        self.addCleanup(setattr, app.conf, "broker_url", saved[0])
        self.addCleanup(setattr, app.conf, "task_always_eager", saved[1])
        started, boss = time.monotonic(), factories.superuser()
        with mock.patch.object(sending, "send") as send:
            with self.assertLogs("periodic_instructor_reports.api", "ERROR"):
                with self.assertRaisesMessage(BrokerUnavailable, "nothing was queued"):
                    api.run_schedules_now(PeriodicReportSchedule.objects.all(), acting_user=boss)
            send.assert_not_called()
            self.assertLess(time.monotonic() - started, api.BROKER_TIMEOUT + 1)

            admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
            self.client.force_login(admin)
            response = self.client.post(
                reverse("admin:periodic_instructor_reports_periodicreportschedule_changelist"),
                {"action": "run_now", "_selected_action": [PeriodicReportSchedule.objects.get().pk]},
                follow=True,
            )
            send.assert_not_called()
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The Celery broker is unreachable")
        self.assertNotContains(response, "Queued a run")
        self.assertFalse(ReportRun.objects.exists())


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=ALLOWED)
class RunDueCommandTests(TestCase):
    def setUp(self):
        reports.CALLS.clear()
        self.task = factories.report_task("tests.reports.recording_report")

    def test_nothing_is_due_at_first(self):
        factories.schedule(task=self.task)
        self.assertEqual(command("run_due_report_schedules"), "")
        self.assertFalse(ReportRun.objects.exists())

    def test_runs_a_due_schedule_once_per_due_time(self):
        schedule = factories.schedule(task=self.task, interval=factories.interval(1, "hours"))
        age(schedule, minutes=150)
        schedule.refresh_from_db()
        output = command("run_due_report_schedules")
        run = ReportRun.objects.get()
        self.assertEqual(output, f"schedule {schedule.pk}: done (run {run.pk}: 1 submitted)\n")
        # The latest missed due time, not one run per missed interval.
        self.assertEqual(run.trigger, "cron")
        self.assertEqual(run.planned_at, schedule.created + datetime.timedelta(hours=2))
        self.assertEqual(command("run_due_report_schedules"), "")
        self.assertEqual(len(reports.CALLS), 1)

    def test_crontab_every_minute(self):
        schedule = factories.schedule(task=self.task, interval=None, crontab=factories.crontab("*", "*"))
        age(schedule, minutes=3)
        command("run_due_report_schedules")
        run = ReportRun.objects.get()
        self.assertEqual(run.planned_at, run.started_at.replace(second=0, microsecond=0))
        command("run_due_report_schedules")
        self.assertEqual(ReportRun.objects.count(), 1)

    def test_paused_schedules_are_not_due(self):
        schedule = factories.schedule(task=self.task, enabled=False)
        age(schedule, days=2)
        self.assertEqual(command("run_due_report_schedules"), "")

    def test_dry_run_lists_due_schedules_and_runs_nothing(self):
        schedule = factories.schedule(task=self.task)
        age(schedule, minutes=90)
        self.assertIn(f"schedule {schedule.pk} is due for ", command("run_due_report_schedules", "--dry-run"))
        self.assertFalse(ReportRun.objects.exists())
        self.assertEqual(reports.CALLS, [])

    def test_concurrent_invocations_run_once(self):
        schedule = factories.schedule(task=self.task)
        age(schedule, minutes=90)
        # A second process read the same due times before the first one recorded its run.
        seen_by_second = due.due_schedules(now=timezone.now())
        command("run_due_report_schedules")
        with mock.patch("periodic_instructor_reports.runs.due.due_schedules", return_value=seen_by_second):
            with self.assertLogs("periodic_instructor_reports.runs", "INFO") as logs:
                output = command("run_due_report_schedules")
        run = ReportRun.objects.get()
        self.assertEqual(output, f"schedule {schedule.pk}: already_ran (run {run.pk}: 1 submitted)\n")
        self.assertIn("already ran for", logs.output[-1])
        self.assertEqual(ReportRun.objects.count(), 1)
        self.assertEqual(len(reports.CALLS), 1)

    def test_the_database_refuses_a_second_run_for_one_due_time(self):
        schedule = factories.schedule(task=self.task)
        due = timezone.now()
        ReportRun.objects.create(schedule=schedule, trigger="cron", planned_at=due, started_at=due)
        with self.assertRaises(IntegrityError), transaction.atomic():
            ReportRun.objects.create(schedule=schedule, trigger="cron", planned_at=due, started_at=due)

    def test_a_beat_run_counts_as_the_last_due_time(self):
        schedule = factories.schedule(task=self.task)
        age(schedule, minutes=90)
        tasks.dispatch_report_schedule.delay(schedule.pk).get()
        self.assertEqual(command("run_due_report_schedules"), "")


class RetentionTests(TestCase):
    def make_runs(self, schedule, *days_ago):
        now = timezone.now()
        for days in days_ago:
            started = now - datetime.timedelta(days=days)
            run = ReportRun.objects.create(
                schedule=schedule, trigger="beat", planned_at=started, started_at=started
            )
            ReportRunCourse.objects.create(run=run, course_id=COURSE, outcome="submitted", started_at=started,
                                           finished_at=started)

    def test_prunes_old_runs_in_batches_and_logs_the_count(self):
        schedule = factories.schedule()
        self.make_runs(schedule, 200, 120, 91, 95, 89, 1)
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_PRUNE_BATCH_SIZE=2):
            with self.assertLogs("periodic_instructor_reports.retention", "INFO") as logs:
                # 2 full batches (select + cascade select + 3 deletes each) and the empty one.
                with self.assertNumQueries(11):
                    self.assertEqual(retention.prune_runs(), 4)
        self.assertIn("Pruned 4 periodic report runs", logs.output[0])
        self.assertEqual(ReportRun.objects.count(), 2)
        self.assertEqual(ReportRunCourse.objects.count(), 2)

    def test_the_daily_job_prunes_and_puts_back_beat_rows_changed_outside_the_plugin(self):
        schedule = factories.schedule()
        self.make_runs(schedule, 200, 1)
        row = PeriodicTask.objects.filter(pk=schedule.celery_task_id)
        row.update(task="celery.backend_cleanup", enabled=False)
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            result = tasks.prune_report_runs.delay().get()
        self.assertEqual(result["pruned"], 1)
        self.assertIn(f"updated beat row of schedule {schedule.pk}", result["reconciled"])
        row = PeriodicTask.objects.get(pk=schedule.celery_task_id)
        self.assertEqual((row.task, row.enabled), (beat.DISPATCH_TASK, True))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_RETENTION_DAYS=7)
    def test_retention_setting(self):
        self.make_runs(factories.schedule(), 8, 6)
        with self.assertLogs("periodic_instructor_reports.retention", "INFO"):
            self.assertEqual(retention.prune_runs(), 1)

    def test_reconcile_restores_the_pruning_job_once_history_exists(self):
        schedule = factories.schedule()
        self.assertIn("nothing to do", command("reconcile_report_schedules"))
        self.make_runs(schedule, 1)
        dry_run = command("reconcile_report_schedules", "--dry-run")
        self.assertIn("would have created beat row 'periodic-instructor-reports-prune-runs'", dry_run)
        self.assertIn("would have created beat row 'periodic-instructor-reports-follow-up'", dry_run)
        with self.assertLogs("periodic_instructor_reports.housekeeping", "INFO"):
            output = command("reconcile_report_schedules")
        self.assertIn("created beat row 'periodic-instructor-reports-prune-runs'", output)
        self.assertIn("created beat row 'periodic-instructor-reports-follow-up'", output)
        self.assertIn("nothing to do", command("reconcile_report_schedules"))
        row = PeriodicTask.objects.get(name=housekeeping.PRUNE_BEAT_ROW)
        self.assertEqual(row.task, housekeeping.PRUNE_TASK)

    def test_operator_changes_to_the_job_rows_are_kept(self):
        with self.assertLogs("periodic_instructor_reports.housekeeping", "INFO"):
            housekeeping.ensure_job_rows()
        PeriodicTask.objects.filter(name=housekeeping.PRUNE_BEAT_ROW).update(enabled=False)
        self.assertEqual(housekeeping.ensure_job_rows(), [])
        self.assertFalse(PeriodicTask.objects.get(name=housekeeping.PRUNE_BEAT_ROW).enabled)

    def test_two_first_runs_at_once_make_one_row_of_each_job(self):
        with self.assertLogs("periodic_instructor_reports.housekeeping", "INFO"):
            self.assertEqual(housekeeping.ensure_job_rows(), list(housekeeping.JOB_ROWS))
        # The other worker checked before the rows existed, then tries to create them too.
        with mock.patch.object(housekeeping, "missing_job_rows", return_value=list(housekeeping.JOB_ROWS)):
            self.assertEqual(housekeeping.ensure_job_rows(), [])
        self.assertEqual(PeriodicTask.objects.filter(name__in=housekeeping.JOB_ROWS).count(), 2)
        dispatch_result = tasks.dispatch_report_schedule.delay(factories.schedule().pk).get()
        self.assertEqual(dispatch_result["status"], "generating")

    def test_cron_command_prunes_when_the_job_is_due(self):
        schedule = factories.schedule(enabled=False)
        self.make_runs(schedule, 100)
        with self.assertLogs("periodic_instructor_reports.housekeeping", "INFO"):
            housekeeping.ensure_job_rows()
        row = PeriodicTask.objects.get(name=housekeeping.PRUNE_BEAT_ROW)
        row.last_run_at = timezone.now() - datetime.timedelta(days=2)
        row.save()
        with self.assertLogs("periodic_instructor_reports.retention", "INFO"):
            self.assertIn("pruned 1 old runs", command("run_due_report_schedules"))
        self.assertFalse(ReportRun.objects.exists())
        self.assertNotIn("pruned", command("run_due_report_schedules"))  # done for today
