"""Exactly once and crash-safe: one submission per course and due time, whatever stops a run."""

import datetime
from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.db.models import Count
from django.test import TestCase, override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from lms.djangoapps.instructor_task import api as platform_api
from lms.djangoapps.instructor_task import tasks as platform_tasks_module
from lms.djangoapps.instructor_task.api_helper import QueueConnectionError
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import beat, folders, follow, tasks
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch, due, fallback, plan, recovery, store, submit
from periodic_instructor_reports.states import Dispatch
from tests import factories
from tests.base import ReportFilesMixin

COURSES = [f"course-v1:Org+C{n}+Run" for n in range(7)]
HOUR = datetime.timedelta(hours=1)


def submissions():
    """Return ``{course id: how many platform task rows}``: the platform's own count of submissions."""
    rows = InstructorTask.objects.values("course_id").annotate(n=Count("pk"))
    return {str(row["course_id"]): row["n"] for row in rows}


def anchored(schedule, anchor):
    PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=anchor, created=anchor)
    schedule.refresh_from_db()
    return schedule


def frozen(moment):
    """Return a patch making it ``moment`` for the plugin (and Django) while it is active."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


class OnePerDueTimeTests(ReportFilesMixin, TestCase):
    """Two beats, beat and cron, a restarted beat: the schedule's own due times keep one run each."""

    def setUp(self):
        super().setUp()
        self.anchor = timezone.now() - datetime.timedelta(hours=5, minutes=30)
        self.schedule = anchored(factories.schedule(course_ids=COURSES[:3]), self.anchor)

    def fire(self, at, trigger="beat"):
        with frozen(at):
            task = tasks.dispatch_report_schedule
            return task.apply(args=[self.schedule.pk], kwargs={"trigger": trigger}).get()

    def test_two_beats_submit_each_course_once_per_due_time(self):
        for hours in (1, 2, 3):
            due = self.anchor + hours * HOUR
            first = self.fire(due + datetime.timedelta(milliseconds=3))
            second = self.fire(due + datetime.timedelta(milliseconds=40))
            self.assertEqual((first["status"], second["status"]), ("generating", "already_ran"))
        self.assertEqual(submissions(), {course: 3 for course in COURSES[:3]})
        self.assertEqual(
            sorted(ReportRun.objects.values_list("planned_at", flat=True)),
            [self.anchor + hours * HOUR for hours in (1, 2, 3)],
        )

    def test_beat_and_the_cron_command_together(self):
        due_time = self.anchor + 5 * HOUR
        # The cron command read the due times just before beat's run recorded itself.
        seen_by_cron = due.due_schedules(now=due_time + datetime.timedelta(seconds=30))
        self.assertEqual(seen_by_cron, [(self.schedule, due_time)])
        self.fire(due_time + datetime.timedelta(seconds=2))
        with mock.patch.object(due, "due_schedules", return_value=seen_by_cron):
            with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
                summaries = fallback.run_due(now=due_time + datetime.timedelta(seconds=30))
        self.assertEqual([summary["status"] for summary in summaries], ["already_ran"])
        # Afterwards it does not even find the schedule due.
        self.assertEqual(due.due_schedules(now=due_time + datetime.timedelta(minutes=20)), [])
        self.assertEqual(submissions(), {course: 1 for course in COURSES[:3]})

    def test_a_beat_restarted_mid_interval_fires_again_for_nothing(self):
        due = self.anchor + 4 * HOUR
        self.fire(due + datetime.timedelta(seconds=1))
        # Beat restarted before saving last_run_at: it fires at once, 25 minutes into the interval.
        self.assertEqual(self.fire(due + datetime.timedelta(minutes=25))["status"], "already_ran")
        self.assertEqual(submissions(), {course: 1 for course in COURSES[:3]})

    def test_run_now_is_a_separate_deliberate_run(self):
        due = self.anchor + 4 * HOUR
        self.fire(due + datetime.timedelta(seconds=1))
        manual = self.fire(due + datetime.timedelta(seconds=9), trigger="manual")
        self.assertEqual(manual["status"], "generating")
        self.assertEqual(ReportRun.objects.filter(trigger="manual").count(), 1)

    def test_missed_due_times_are_counted_on_the_next_run(self):
        self.fire(self.anchor + HOUR + datetime.timedelta(seconds=1))
        # Workers were down for three due times; their messages expired unrun.
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
            self.fire(self.anchor + 5 * HOUR + datetime.timedelta(seconds=1))
        self.assertIn("missed 3 due times", " ".join(logs.output))
        run = ReportRun.objects.latest("planned_at")
        self.assertEqual((run.planned_at, run.missed), (self.anchor + 5 * HOUR, 3))

    def test_beat_messages_expire_before_the_next_due_time(self):
        row = PeriodicTask.objects.get(pk=self.schedule.celery_task_id)
        self.assertEqual(row.expire_seconds, 3600)
        weekly = factories.schedule(interval=None, crontab=factories.crontab(day_of_week="1,4"))
        self.assertEqual(PeriodicTask.objects.get(pk=weekly.celery_task_id).expire_seconds, 3 * 24 * 3600)

    def test_beat_row_starts_on_the_schedule_s_grid(self):
        schedule = factories.schedule()
        row = PeriodicTask.objects.get(pk=schedule.celery_task_id)
        self.assertEqual(row.last_run_at, schedule.anchor)
        self.assertEqual(beat.drifted_fields(row, schedule), [])


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER=900)
class ResumeTests(ReportFilesMixin, TestCase):
    """A run stopped anywhere is resumed for the courses without an outcome, never twice for one."""

    def setUp(self):
        super().setUp()
        self.schedule = factories.schedule(course_ids=COURSES)

    def started(self):
        started = dispatch.start(self.schedule.pk, trigger="manual", holder="lost-worker")
        self.assertEqual(started.status, Dispatch.STARTED)
        return started.run

    def later(self, run, seconds=901):
        return run.heartbeat_at + datetime.timedelta(seconds=seconds)

    def intent(self, run):
        """Record the intent to submit the run's first batch, as a worker does; return its course ids."""
        batch = store.next_batch(run, after=-1)
        store.begin_batch(batch)
        return batch.course_ids

    def test_a_run_whose_worker_died_after_recording_its_courses(self):
        run = self.started()
        self.assertEqual(run.course_total, 7)
        self.assertEqual(recovery.resume_stalled(now=self.later(run, 899)), [])
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.assertEqual(recovery.resume_stalled(now=self.later(run)), [(run.pk, "resumed")])
        run.refresh_from_db()
        self.assertEqual((run.status, run.resumptions, run.counts), ("generating", 1, {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})

    def test_a_run_whose_worker_died_while_recording_its_courses(self):
        # The run was claimed; its courses were never recorded (their transaction died with it).
        run, _ = store.claim_run(self.schedule, trigger="beat", planned_at=timezone.now(),
                                   holder="lost-worker")
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            self.assertEqual(recovery.resume_stalled(now=self.later(run)), [(run.pk, "resumed")])
        run.refresh_from_db()
        self.assertEqual((run.status, run.course_total, run.counts), ("generating", 7, {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})

    def test_a_manual_run_cut_off_while_recording_ends_as_an_error(self):
        # It may have been for chosen courses: the plugin does not guess which.
        run, _ = store.claim_run(self.schedule, trigger="manual", planned_at=timezone.now(),
                                   holder="lost-worker")
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            recovery.resume_stalled(now=self.later(run))
        run.refresh_from_db()
        self.assertEqual(run.status, "error")
        self.assertIn("interrupted while its courses were recorded; nothing was submitted", run.error)
        self.assertEqual(submissions(), {})

    def test_a_submission_in_flight_is_found_in_the_platform_not_submitted_again(self):
        run = self.started()
        batch = self.intent(run)
        # The worker was killed after the platform recorded the first two, before the outcomes.
        request = plan.plan(self.schedule, moment=run.planned_at).leading[0]
        for course_id in batch[:2]:
            platform_api.submit_calculate_grades_csv(request, course_id)
        with self.assertLogs("periodic_instructor_reports", "INFO") as logs:
            recovery.resume_stalled(now=self.later(run))
        self.assertIn("was submitted before the interruption", " ".join(logs.output))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        resumed = ReportRunCourse.objects.filter(run=run, course_id__in=batch[:2])
        for row in resumed:
            self.assertEqual(row.outcome, "submitted")
            self.assertTrue(row.task_id)
            self.assertIn("resumed: the platform had recorded this submission", row.error)

    def test_a_submission_found_in_the_platform_is_followed_to_its_file(self):
        schedule = factories.schedule(course_ids=COURSES[:2], upload_folder_structure="flat",
                                      upload_folder_prefix="resumed/")
        run = dispatch.start(schedule.pk, trigger="manual", holder="lost-worker").run
        batch = self.intent(run)
        # The worker was killed after the platform recorded the first course's report (written
        # into the schedule's folder), before the outcomes were stored.
        run_plan = plan.plan(schedule, moment=run.planned_at)
        key = CourseKey.from_string(batch[0])
        kwargs, _ = run_plan.call_for(key)
        task = platform_api.submit_calculate_grades_csv(run_plan.leading[0], key, **kwargs)
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            recovery.resume_stalled(now=self.later(run))
        row = run.courses.get(course_id=batch[0])
        self.assertEqual((row.outcome, row.task_id), ("submitted", task.task_id))
        name = f"Org_C0_Run_grade_report_{folders.course_token(key)}"
        self.assertEqual((row.upload_parent_dir, row.expected_name), ("resumed/", name))

        follow.follow_reports()
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("done", {"generated": 2}))
        row.refresh_from_db()
        self.assertEqual(self.report_files(), sorted(r.file_path for r in run.courses.all()))
        self.assertRegex(row.file_path, rf"^resumed/{name}_[0-9-]+\.csv$")

    def test_a_submission_the_broker_refused_is_submitted_again(self):
        run = self.started()
        batch = self.intent(run)
        request = plan.plan(self.schedule, moment=run.planned_at).leading[0]
        platform_api.submit_calculate_grades_csv(request, batch[0])
        # The broker went away: the platform recorded the next submission as FAILURE and raised;
        # the worker died before it stored the outcomes.
        refused_send = mock.patch.object(
            platform_tasks_module.calculate_grades_csv, "apply_async",
            side_effect=OSError("Connection refused"),
        )
        with refused_send, self.assertRaises(QueueConnectionError):
            platform_api.submit_calculate_grades_csv(request, batch[1])
        refused = InstructorTask.objects.get(course_id=batch[1])
        self.assertEqual((refused.task_state, refused.task_output), ("FAILURE", "Connection refused"))

        with self.assertLogs("periodic_instructor_reports", "INFO"):
            recovery.resume_stalled(now=self.later(run))
        run.refresh_from_db()
        # Every course is submitted; the follow-up job now follows the reports to their files.
        self.assertEqual((run.status, run.counts), ("generating", {"submitted": 7}))
        self.assertEqual(submissions(), {course: 2 if course == COURSES[1] else 1 for course in COURSES})
        row = run.courses.get(course_id=COURSES[1])
        queued = InstructorTask.objects.exclude(task_state="FAILURE").get(course_id=COURSES[1])
        self.assertEqual((row.task_id, row.attempt, row.error), (queued.task_id, 1, ""))
        self.assertIn("resumed:", run.courses.get(course_id=COURSES[0]).error)

    def test_a_report_that_ran_and_failed_counts_as_submitted(self):
        run = self.started()
        batch = self.intent(run)
        request = plan.plan(self.schedule, moment=run.planned_at).leading[0]
        task = platform_api.submit_calculate_grades_csv(request, batch[0])
        # Its report ran and failed before the run was resumed: the platform's task wrote JSON.
        InstructorTask.objects.filter(pk=task.pk).update(
            task_state="FAILURE", task_output='{"exception": "KeyError", "message": "boom"}',
        )
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            recovery.resume_stalled(now=self.later(run))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        self.assertEqual(run.courses.get(course_id=COURSES[0]).task_id, task.task_id)

    def test_the_lost_worker_s_redelivered_message_resumes_at_once(self):
        run = self.started()
        # acks_late + reject_on_worker_lost: the same task id comes back, and still holds the run.
        result = tasks.continue_report_run.apply(args=[run.pk], task_id="lost-worker").get()
        self.assertEqual(result["status"], "generating")
        self.assertEqual(submissions(), {course: 1 for course in COURSES})

    def test_a_second_dispatch_never_works_on_a_run_held_by_a_live_worker(self):
        run = self.started()
        with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            result = tasks.continue_report_run.apply(args=[run.pk], task_id="someone-else").get()
        self.assertEqual(result["status"], "busy")
        self.assertEqual(submissions(), {})

    def test_the_soft_time_limit_hands_the_rest_over(self):
        real = platform_api.submit_calculate_grades_csv
        calls = []

        def slow(request, course_key, **kwargs):
            calls.append(str(course_key))
            if len(calls) == 3:
                raise SoftTimeLimitExceeded()
            return real(request, course_key, **kwargs)

        with mock.patch.object(platform_api, "submit_calculate_grades_csv", slow):
            with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
                dispatch.run_schedule(self.schedule.pk, trigger="manual")
        self.assertIn("reached its time limit", " ".join(logs.output))
        run = ReportRun.objects.get()
        # Celery runs eagerly here: the continuation went on at once.
        self.assertEqual((run.status, run.counts), ("generating", {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        # The interrupted course had not reached the platform: the continuation submitted it once.
        self.assertEqual(ReportRunCourse.objects.get(course_id=COURSES[2]).attempt, 1)

    def test_a_database_error_leaves_the_run_to_resume_where_it_was(self):
        run = self.started()
        real = store.write_batch
        failures = []

        def drop_once(batch, rows_upsert, **kwargs):
            if not failures:
                failures.append(True)
                raise OperationalError("server closed the connection unexpectedly")
            return real(batch, rows_upsert, **kwargs)

        with mock.patch.object(store, "write_batch", drop_once):
            with self.assertRaises(OperationalError):
                dispatch.work(run.pk, holder="lost-worker")
        run.refresh_from_db()
        self.assertEqual(run.status, "running")
        # The batch's intent is recorded and no outcome: the platform's rows say what was submitted.
        self.assertFalse(run.courses.exists())
        self.assertIsNotNone(run.batches.get().submitting_since)
        tasks.continue_report_run.apply(args=[run.pk], task_id="lost-worker").get()
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("generating", {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})

    def test_a_run_that_keeps_stopping_ends_as_an_error(self):
        run = self.started()
        ReportRun.objects.filter(pk=run.pk).update(resumptions=5)
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            self.assertEqual(recovery.resume_stalled(now=self.later(run)), [(run.pk, "error")])
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("error", {"skipped": 7}))
        self.assertIn("gave up after 5 resumptions", run.error)
        self.assertIsNotNone(run.finished_at)

    def test_an_unexpected_dispatcher_fault_ends_the_run_at_once(self):
        run = self.started()
        fault = mock.patch.object(folders, "upload_parent_dir", side_effect=KeyError("boom"))
        with fault, self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            with self.assertRaises(KeyError):
                dispatch.work(run.pk, holder="lost-worker")
        run.refresh_from_db()
        self.assertEqual((run.status, run.error, run.counts), ("error", "KeyError: 'boom'", {"skipped": 7}))
        self.assertEqual(recovery.stalled_runs(now=self.later(run, 10**6)).count(), 0)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER=900)
class LeaseTests(ReportFilesMixin, TestCase):
    """A worker submitting a long batch keeps its run; one that lost it stops submitting."""

    SUBMISSION = datetime.timedelta(seconds=400)  # each submission is slow: three outlast RESUME_AFTER

    def run_slowly(self, during):
        """Run the schedule with a clock that moves on one ``SUBMISSION`` per course; call ``during``."""
        schedule = factories.schedule(course_ids=COURSES)
        clock = [timezone.now()]
        real = platform_api.submit_calculate_grades_csv
        calls = []

        def slow(request, course_key, **kwargs):
            calls.append(str(course_key))
            clock[0] += self.SUBMISSION
            during(len(calls), clock[0])
            return real(request, course_key, **kwargs)

        with mock.patch("django.utils.timezone.now", side_effect=lambda: clock[0]), \
                mock.patch.object(submit, "wall_clock", side_effect=lambda: clock[0].timestamp()), \
                mock.patch.object(platform_api, "submit_calculate_grades_csv", slow):
            summary = dispatch.run_schedule(schedule.pk, trigger="manual")
        return summary, calls

    def test_a_batch_slower_than_resume_after_keeps_its_run(self):
        resumed = []
        # The follow-up job looks for stalled runs while each course is submitted.
        summary, calls = self.run_slowly(lambda _n, now: resumed.extend(recovery.resume_stalled(now=now)))
        self.assertEqual(resumed, [])
        self.assertEqual(summary["status"], "generating")
        run = ReportRun.objects.get()
        self.assertEqual((run.resumptions, run.counts), (0, {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        self.assertEqual(len(calls), 7)

    def test_a_worker_whose_run_was_taken_over_stops_submitting(self):
        def taken_after_third(n, now):
            if n == 3:  # it stalled for long enough that another worker took the run over
                ReportRun.objects.update(holder="another-worker", heartbeat_at=now)

        with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
            summary, calls = self.run_slowly(taken_after_third)
        self.assertEqual(summary["status"], "lost")
        self.assertIn("was taken over by another worker", " ".join(logs.output))
        self.assertEqual(len(calls), 3)
        run = ReportRun.objects.get()
        self.assertEqual((run.status, run.holder), ("running", "another-worker"))
        # What it did is left to the new holder, which finds these three in the platform.
        self.assertFalse(run.courses.exists())
        self.assertIsNotNone(run.batches.get().submitting_since)


class StopMidRunTests(ReportFilesMixin, TestCase):
    """A schedule deleted or paused mid-run stops the dispatch at the next batch."""

    def run_stopping(self, stop):
        schedule = factories.schedule(course_ids=COURSES)
        real = platform_api.submit_calculate_grades_csv
        calls = []

        def then_stop(request, course_key, **kwargs):
            calls.append(course_key)
            if len(calls) == 2:
                stop(schedule)
            return real(request, course_key, **kwargs)

        with mock.patch.object(store, "BATCH_SIZE", 3), \
                mock.patch.object(platform_api, "submit_calculate_grades_csv", then_stop):
            with self.assertLogs("periodic_instructor_reports.runs", "INFO"):
                dispatch.run_schedule(schedule.pk)
        return ReportRun.objects.get(), calls

    def test_deleted(self):
        run, calls = self.run_stopping(lambda schedule: schedule.delete())
        self.assertEqual(len(calls), 3)  # the batch under way ends, no other starts
        self.assertEqual((run.status, run.schedule_id), ("generating", None))
        self.assertEqual(run.counts, {"submitted": 3, "skipped": 4})
        self.assertEqual(run.error, "stopped: the schedule was deleted during the run")
        skipped = run.courses.filter(outcome="skipped").first()
        self.assertEqual(skipped.error, "not submitted: the schedule was deleted during the run")

    def test_paused(self):
        run, calls = self.run_stopping(
            lambda schedule: PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(enabled=False)
        )
        self.assertEqual(len(calls), 3)
        self.assertEqual(run.counts, {"submitted": 3, "skipped": 4})
        self.assertEqual(run.error, "stopped: the schedule was paused during the run")


class CatchUpTests(ReportFilesMixin, TestCase):
    """A due time nobody ran (the broker was down when beat fired) is run once, late."""

    def test_the_follow_up_job_runs_a_missed_due_time_once(self):
        anchor = timezone.now() - datetime.timedelta(hours=2, minutes=10)
        schedule = anchored(factories.schedule(), anchor)
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            done = tasks.follow_up.apply().get()
        self.assertEqual(done["caught_up"], [(schedule.pk, "caught up")])
        run = ReportRun.objects.get()
        self.assertEqual((run.trigger, run.planned_at, run.status),
                         ("catch_up", anchor + 2 * HOUR, "generating"))
        self.assertEqual(tasks.follow_up.apply().get()["caught_up"], [])
        self.assertEqual(submissions(), {factories.COURSE: 1})

    def test_a_due_time_beat_just_fired_is_left_to_beat(self):
        anchored(factories.schedule(), timezone.now() - datetime.timedelta(hours=1, minutes=1))
        self.assertEqual(recovery.catch_up(), [])


class ResultBackendTests(ReportFilesMixin, TestCase):
    def test_the_result_keeps_counts_and_the_run_id_only(self):
        schedule = factories.schedule(course_ids=COURSES)
        result = tasks.dispatch_report_schedule.apply(args=[schedule.pk]).get()
        self.assertEqual(set(result), {"schedule_id", "run_id", "status", "counts", "error"})
        self.assertEqual(result["counts"], {"submitted": 7})
