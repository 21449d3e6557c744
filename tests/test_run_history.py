"""Run history: what each dispatch records, retries of courses already running, failure e-mails."""

import datetime
from unittest import mock

import ddt
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import TestCase, override_settings
from django_celery_beat.models import PeriodicTask
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import catalog, delivery, follow, housekeeping, tasks
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch, handoff, recovery, store
from tests import factories, reports
from tests.base import ReportFilesMixin

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE
BAD = "course-v1:Bad+Course+Run"


def course_rows(run):
    """Return (course id, attempts, outcome) by course id (sorted here: collations differ)."""
    return sorted(run.courses.values_list("course_id", "attempt", "outcome"))


def block(course_id, requester):
    """Leave an unfinished grade report of ``course_id``, as a click on the dashboard would."""
    return InstructorTask.objects.create(
        course_id=course_id, task_type="grade_course", task_key="", task_input="{}",
        task_id=f"earlier-{course_id}", task_state="PROGRESS", requester=requester,
    )


@ddt.ddt
@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class RunRecordTests(ReportFilesMixin, TestCase):
    def setUp(self):
        super().setUp()
        reports.CALLS.clear()

    def test_a_beat_run_records_the_run_and_each_course(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER], upload_folder_structure="flat",
                                      upload_folder_prefix="p/")
        result = tasks.dispatch_report_schedule.delay(schedule.pk).get()
        run = ReportRun.objects.get()
        self.assertEqual(result["run_id"], run.pk)
        self.assertEqual((run.schedule, run.trigger, run.status), (schedule, "beat", "generating"))
        self.assertEqual(run.counts, {"submitted": 2})
        self.assertLessEqual(run.planned_at, run.started_at)
        self.assertIsNone(run.finished_at)  # the platform is generating the reports
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual(set(rows), {COURSE, OTHER})
        for row in rows.values():
            self.assertEqual((row.outcome, row.attempt, row.upload_parent_dir, row.error),
                             ("submitted", 1, "p/", ""))
            platform_row = InstructorTask.objects.get(task_id=row.task_id)
            self.assertEqual(str(platform_row.course_id), row.course_id)

    @ddt.unpack
    @ddt.data(
        # dispatcher outcome -> run history outcome, with the detail first in the error summary
        ("tests.reports.failing_report", [COURSE, BAD], {COURSE: "submitted", BAD: "failed"},
         "RuntimeError: the grading backend is down"),
    )
    def test_failed_course(self, path, course_ids, expected, error):
        schedule = factories.schedule(task=factories.report_task(path), course_ids=course_ids)
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get()
        self.assertEqual(dict(run.courses.values_list("course_id", "outcome")), expected)
        self.assertEqual(run.courses.get(outcome="failed").error, error)
        self.assertEqual(run.counts, {"submitted": 1, "failed": 1})

    def test_queue_error_is_failed_with_the_detail(self):
        schedule = factories.schedule()
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async",
                        side_effect=OSError("broker down")):
            dispatch.run_schedule(schedule.pk)
        row = ReportRunCourse.objects.get()
        self.assertEqual(row.outcome, "failed")
        self.assertEqual(row.error,
                         "queue_error: QueueConnectionError: Error occured. Please try again later.")
        self.assertEqual(row.task_id, "")

    def test_invalid_course_and_missing_ccx_app_are_skipped(self):
        schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"),
                                      include_ccx=True)
        type(schedule).objects.filter(pk=schedule.pk).update(course_ids=["nonsense", COURSE])
        with mock.patch("periodic_instructor_reports.platform.ccx_model", return_value=None):
            with self.assertLogs("periodic_instructor_reports.courses", "WARNING") as logs:
                dispatch.run_schedule(schedule.pk)
        # The master course still runs; its CCXs could not be looked up.
        self.assertIn("its CCXs are not run", logs.output[0])
        rows = sorted(ReportRunCourse.objects.values_list("course_id", "outcome"))
        self.assertEqual(rows, [(COURSE, "submitted"), ("nonsense", "skipped")])
        error = ReportRunCourse.objects.get(outcome="skipped").error
        self.assertTrue(error.startswith("invalid_course: InvalidKeyError"), error)

    def test_refused_run_records_each_course_as_refused(self):
        schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"),
                                      course_ids=[COURSE, OTHER])
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=[catalog.GRADE_REPORT]):
            with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
                result = dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get()
        self.assertEqual((result["status"], run.status), ("refused", "refused"))
        self.assertIn("not an allowed report function", run.error)
        self.assertEqual(run.counts, {"refused": 2})
        self.assertEqual(set(run.courses.values_list("outcome", flat=True)), {"refused"})
        self.assertEqual(reports.CALLS, [])

    def test_error_summary_is_bounded(self):
        schedule = factories.schedule(task=factories.report_task("tests.reports.long_error_report"))
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            dispatch.run_schedule(schedule.pk)
        self.assertEqual(len(ReportRunCourse.objects.get().error), 500)

    def test_paused_and_missing_schedules_record_nothing(self):
        paused = factories.schedule(enabled=False)
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.assertEqual(dispatch.run_schedule(paused.pk)["status"], "disabled")
            self.assertEqual(dispatch.run_schedule(9999)["status"], "missing")
        self.assertFalse(ReportRun.objects.exists())

    def test_a_manual_run_runs_a_paused_schedule(self):
        paused = factories.schedule(enabled=False)
        result = dispatch.run_schedule(paused.pk, trigger="manual")
        self.assertEqual(result["counts"], {"submitted": 1})
        self.assertEqual(ReportRun.objects.get().trigger, "manual")

    def test_one_run_per_due_time(self):
        schedule = factories.schedule()
        due = datetime.datetime(2026, 3, 2, 7, tzinfo=datetime.UTC)
        first = dispatch.run_schedule(schedule.pk, trigger="cron", planned_at=due)
        self.assertEqual(first["status"], "generating")
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            second = dispatch.run_schedule(schedule.pk, trigger="cron", planned_at=due)
        self.assertEqual(second["status"], "already_ran")
        self.assertEqual(ReportRun.objects.count(), 1)
        self.assertEqual(ReportRunCourse.objects.count(), 1)

    def test_by_date_folder_uses_the_crontab_time_zone(self):
        # 23:30 UTC on 1 March is already 2 March in Tokyo.
        schedule = factories.schedule(
            task=factories.report_task("tests.reports.recording_report"),
            interval=None, crontab=factories.crontab(minute="30", hour="8", tz="Asia/Tokyo"),
            upload_folder_structure="by_date", upload_folder_prefix="daily/",
        )
        due = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
        dispatch.run_schedule(schedule.pk, trigger="cron", planned_at=due)
        self.assertEqual(reports.CALLS[0]["kwargs"]["upload_parent_dir"], "daily/2026-03-02")
        self.assertEqual(ReportRunCourse.objects.get().upload_parent_dir, "daily/2026-03-02")

    def test_a_dispatcher_failure_ends_the_run_with_its_error(self):
        schedule = factories.schedule()
        with mock.patch.object(store, "record_courses", side_effect=RuntimeError("disk full")):
            with self.assertRaises(RuntimeError):
                with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
                    dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get()
        self.assertEqual((run.status, run.error), ("error", "RuntimeError: disk full"))
        self.assertIsNotNone(run.finished_at)

    def test_first_run_registers_the_job_rows(self):
        self.assertFalse(PeriodicTask.objects.filter(name__in=housekeeping.JOB_ROWS).exists())
        dispatch.run_schedule(factories.schedule().pk)
        row = PeriodicTask.objects.get(name=housekeeping.PRUNE_BEAT_ROW)
        self.assertEqual((row.task, row.crontab.hour, row.crontab.minute),
                         (housekeeping.PRUNE_TASK, "3", "17"))
        self.assertTrue(row.enabled)
        row = PeriodicTask.objects.get(name=housekeeping.FOLLOW_UP_BEAT_ROW)
        self.assertEqual((row.task, row.interval.every, row.interval.period),
                         (housekeeping.FOLLOW_UP_TASK, 60, "seconds"))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=2, PERIODIC_INSTRUCTOR_REPORTS_RETRY_DELAY=300)
class RetryTests(ReportFilesMixin, TestCase):
    """A course refused as already running is tried again later, each attempt counted."""

    def setUp(self):
        super().setUp()
        self.requester = factories.user()

    def waiting_run(self, schedule):
        """Run ``schedule`` with its continuation held back; return the run, waiting to retry."""
        with mock.patch.object(handoff, "send_continuation", return_value=True) as send:
            result = dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get()
        self.assertEqual((result["status"], run.status, run.finished_at), ("retrying", "retrying", None))
        send.assert_called_once_with(run.pk, run.holder, countdown=300)
        return run

    def continue_run(self, run):
        """Run the continuation the dispatcher queued, as the worker would."""
        return tasks.continue_report_run.apply(args=[run.pk], task_id=run.holder).get()

    def test_a_retry_is_queued_with_the_delay(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        block(COURSE, self.requester)
        run = self.waiting_run(schedule)
        self.assertEqual(course_rows(run), [(OTHER, 1, "submitted"), (COURSE, 1, "already_running")])
        self.assertEqual(run.counts, {"already_running": 1, "submitted": 1})
        self.assertGreater(run.heartbeat_at, run.started_at + datetime.timedelta(seconds=290))

    def test_blocked_then_free(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER], upload_folder_structure="by_date")
        blocker = block(COURSE, self.requester)
        run = self.waiting_run(schedule)
        blocker.task_state = "SUCCESS"
        blocker.save()
        result = self.continue_run(run)
        self.assertEqual(result["counts"], {"submitted": 2})
        run.refresh_from_db()
        self.assertEqual(course_rows(run), [(OTHER, 1, "submitted"), (COURSE, 2, "submitted")])
        self.assertEqual((run.status, run.counts, run.finished_at), ("generating", {"submitted": 2}, None))
        follow.follow_reports()  # the follow-up job: both reports ran (eagerly), their files exist
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("done", {"generated": 2}))
        self.assertIsNotNone(run.finished_at)
        retried = run.courses.get(course_id=COURSE)
        self.assertEqual(retried.upload_parent_dir, run.planned_at.date().isoformat())
        self.assertEqual(len(self.report_files()), 2)

    def test_attempts_are_limited(self):
        schedule = factories.schedule()
        block(COURSE, self.requester)
        # Celery runs eagerly here, so the retries happen at once, one after the other.
        dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get()
        self.assertEqual(course_rows(run), [(COURSE, 3, "already_running")])
        self.assertEqual((run.status, run.counts), ("done", {"already_running": 1}))

    def test_a_retry_the_broker_refuses_waits_for_the_recovery_sweep(self):
        from kombu.exceptions import OperationalError

        schedule = factories.schedule()
        blocker = block(COURSE, self.requester)
        with mock.patch.object(tasks.continue_report_run, "apply_async",
                               side_effect=OperationalError("broker down")):
            with self.assertLogs("periodic_instructor_reports", "ERROR") as logs:
                dispatch.run_schedule(schedule.pk)
        self.assertIn("could not queue its continuation", " ".join(logs.output))
        run = ReportRun.objects.get()
        self.assertEqual((run.status, run.holder), ("retrying", ""))
        blocker.task_state = "SUCCESS"
        blocker.save()
        self.assertEqual(recovery.resume_stalled(now=run.heartbeat_at - datetime.timedelta(seconds=1)), [])
        done = recovery.resume_stalled(now=run.heartbeat_at, inline=True)
        self.assertEqual(done, [(run.pk, "generating")])
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts, run.resumptions), ("generating", {"submitted": 1}, 1))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL)
    def test_pausing_before_the_retry_stops_the_run_and_still_reports_failures(self):
        owner = factories.user(email="owner@example.com", is_staff=True)
        schedule = factories.schedule(task=factories.report_task("tests.reports.busy_report"), owner=owner,
                                      course_ids=[COURSE, reports.BUSY, BAD])
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            run = self.waiting_run(schedule)
        self.assertEqual(mail.outbox, [])  # not yet: the run is waiting for its retry
        type(schedule).objects.filter(pk=schedule.pk).update(enabled=False)
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.continue_run(run)
        run.refresh_from_db()
        self.assertEqual((run.status, run.error), ("done", "stopped: the schedule was paused during the run"))
        self.assertEqual(run.counts, {"already_running": 1, "failed": 1, "submitted": 1})
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(f"  {BAD}: failed", mail.outbox[0].body)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0)
    def test_retries_can_be_turned_off(self):
        schedule = factories.schedule()
        block(COURSE, self.requester)
        with mock.patch.object(handoff, "send_continuation") as send:
            dispatch.run_schedule(schedule.pk)
        send.assert_not_called()
        self.assertEqual(ReportRun.objects.get().status, "done")

    def test_no_retry_after_deletion(self):
        schedule = factories.schedule()
        block(COURSE, self.requester)
        run = self.waiting_run(schedule)
        schedule.delete()
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.continue_run(run)
        run.refresh_from_db()
        self.assertEqual((run.status, run.error),
                         ("done", "stopped: the schedule was deleted during the run"))
        self.assertEqual(course_rows(run), [(COURSE, 1, "already_running")])
        run.delete()
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.assertEqual(self.continue_run(run)["status"], "busy")


@override_settings(
    PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT],
    PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0,
    PERIODIC_INSTRUCTOR_REPORTS_SITE_URL="https://lms.example.com/",
)
class FailureEmailTests(ReportFilesMixin, TestCase):
    def failing_schedule(self, **fields):
        fields.setdefault("owner", factories.user(email="owner@example.com", is_staff=True))
        return factories.schedule(task=factories.report_task("tests.reports.failing_report"),
                                  course_ids=[COURSE, BAD, OTHER], **fields)

    def run_once(self, schedule):
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            dispatch.run_schedule(schedule.pk)
        return ReportRun.objects.latest("pk")

    def test_one_mail_to_the_owner_with_ids_outcomes_and_link(self):
        schedule = self.failing_schedule()
        run = self.run_once(schedule)
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["owner@example.com"])
        self.assertIn("1 of 3 courses not produced", message.subject)
        self.assertIn(f"  {BAD}: failed", message.body)
        self.assertIn(f"  {COURSE}: submitted", message.body)  # every course, with its outcome
        self.assertNotIn("grading backend", message.body)  # no error details, just outcomes
        self.assertIn(
            "https://lms.example.com/admin/periodic_instructor_reports/reportruncourse/"
            f"?run__id__exact={run.pk}", message.body,
        )
        self.assertIsNotNone(run.notified_at)
        # The link works for staff: the run history shows that run's courses.
        staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
        self.client.force_login(staff)
        page = self.client.get(f"/admin/periodic_instructor_reports/reportruncourse/?run__id__exact={run.pk}")
        self.assertContains(page, BAD)

    def test_never_twice_for_one_run(self):
        schedule = self.failing_schedule()
        run = self.run_once(schedule)
        self.assertFalse(delivery.deliver(run))
        self.assertEqual(len(mail.outbox), 1)

    def test_no_mail_without_failures(self):
        owner = factories.user(email="o@example.com", is_staff=True)
        dispatch.run_schedule(factories.schedule(owner=owner).pk)
        self.assertEqual(mail.outbox, [])

    def test_setting_turns_it_off(self):
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_FAILURE_EMAILS=False):
            self.run_once(self.failing_schedule())
        self.assertEqual(mail.outbox, [])

    def test_owner_without_address(self):
        self.run_once(self.failing_schedule(owner=factories.user(email="", is_staff=True)))
        self.assertEqual(mail.outbox, [])

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=1)
    def test_sent_once_after_the_last_retry(self):
        owner = factories.user(email="o@example.com", is_staff=True)
        schedule = factories.schedule(course_ids=[COURSE, OTHER], owner=owner)
        block(OTHER, factories.user())
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async",
                        side_effect=OSError("broker down")):
            self.run_once(schedule)  # eager continuations: each goes on at once until the run ends
        run = ReportRun.objects.get()
        self.assertEqual(course_rows(run), [(OTHER, 2, "already_running"), (COURSE, 2, "failed")])
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(f"  {COURSE}: failed", mail.outbox[0].body)
        self.assertIn(f"  {OTHER}: already running", mail.outbox[0].body)
