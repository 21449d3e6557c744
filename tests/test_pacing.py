"""Pacing: the site's cap on the plugin's reports in flight, shared fairly, a schedule's cap and window."""

import datetime
import threading
import time
import unittest
from unittest import mock

from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from lms.djangoapps.instructor_task import api as platform_api
from lms.djangoapps.instructor_task import tasks as platform_tasks
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import tasks
from periodic_instructor_reports.models import ReportRun, ReportRunBatch, ReportRunCourse, SlotGate
from periodic_instructor_reports.report_request import build_report_request as request_as
from periodic_instructor_reports.runs import dispatch, handoff, pacing
from periodic_instructor_reports.runs.lease import take as lease_take
from periodic_instructor_reports.states import Dispatch, Outcome, RunStatus, Trigger
from tests import factories

COURSES = [f"course-v1:Pace+C{number}+2026" for number in range(7)]
CAP = override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=2)


def run_of(schedule_id, **fields):
    """A run of the schedule with ``fields``, held by nobody."""
    defaults = {"trigger": Trigger.MANUAL, "planned_at": timezone.now(), "started_at": timezone.now(),
                "heartbeat_at": timezone.now()}
    return ReportRun.objects.create(schedule_id=schedule_id, **{**defaults, **fields})


def queued(run, count):
    """Give ``run`` a queue of ``count`` courses not tried yet."""
    ReportRunBatch.objects.create(run=run, number=0, course_ids=COURSES[:count], size=count)


def flying(run, count, state="QUEUING", start=0):
    """Give ``run`` ``count`` submitted courses whose platform task is in ``state``."""
    requester = factories.superuser()
    for number in range(start, start + count):
        course_id = f"course-v1:Fly+R{run.pk}+{number}"
        task = InstructorTask.create(course_id, "grade_course", f"key{number}", {}, requester)
        task.task_state = state
        task.save()
        ReportRunCourse.objects.create(run=run, course_id=course_id, outcome=Outcome.SUBMITTED,
                                       task_id=task.task_id, started_at=timezone.now())


class ShareTests(TestCase):
    """How many submissions a run may make now: the cap, what flies, the others' shares."""

    def setUp(self):
        self.schedule = factories.schedule()
        self.run = run_of(self.schedule.pk)
        queued(self.run, 7)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=0)
    def test_without_a_cap_every_course_goes(self):
        self.assertEqual(pacing.Pacer(self.run).grant(500), 500)
        self.assertFalse(SlotGate.objects.exists())

    @CAP
    def test_a_run_alone_takes_the_whole_cap_and_reserves_it(self):
        self.assertEqual(pacing.Pacer(self.run).grant(7), 2)
        self.assertEqual(ReportRun.objects.get(pk=self.run.pk).reserved, 2)

    @CAP
    def test_its_reports_generating_hold_slots_until_they_end(self):
        flying(self.run, 1)
        flying(self.run, 1, state="PROGRESS", start=1)
        flying(self.run, 3, state="SUCCESS", start=2)
        self.assertEqual(pacing.Pacer(self.run).grant(7), 0)
        InstructorTask.objects.filter(task_state="PROGRESS").update(task_state="SUCCESS")
        self.assertEqual(pacing.Pacer(self.run).grant(7), 1)

    @CAP
    def test_reports_the_dashboard_submitted_are_not_counted(self):
        for number in range(5):
            InstructorTask.create(f"course-v1:Dash+D+{number}", "grade_course", "k", {}, factories.user())
        self.assertEqual(pacing.Pacer(self.run).grant(7), 2)

    @CAP
    def test_a_run_submitting_holds_its_reservation_until_it_stalls(self):
        other = run_of(factories.schedule().pk, reserved=2)
        queued(other, 3)
        self.assertEqual(pacing.Pacer(self.run).grant(7), 0)
        stale = timezone.now() - datetime.timedelta(seconds=901)
        ReportRun.objects.filter(pk=other.pk).update(heartbeat_at=stale)
        ReportRunBatch.objects.filter(run=other).delete()
        self.assertEqual(pacing.Pacer(self.run).grant(7), 2)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=4)
    def test_a_small_run_gets_its_share_before_the_big_one_ends(self):
        flying(self.run, 4)  # the big run fills the cap
        small = run_of(factories.schedule().pk)
        queued(small, 3)
        big, little = pacing.Pacer(self.run), pacing.Pacer(small)
        self.assertEqual((big.grant(7), little.grant(3)), (0, 0))
        # One of the big run's reports ends: the slot is the small run's, whoever asks first.
        InstructorTask.objects.filter(pk=InstructorTask.objects.order_by("pk").first().pk).update(
            task_state="SUCCESS")
        self.assertEqual(big.grant(7), 0)
        self.assertEqual(little.grant(3), 1)
        flying(small, 1, start=100)  # its submission, generating now
        little.release(small.holder)
        # Another ends: the big run, at its share (2), leaves the small one its other slot.
        InstructorTask.objects.filter(pk=InstructorTask.objects.order_by("pk")[1].pk).update(task_state="SUCCESS")
        self.assertEqual(big.grant(7), 0)
        self.assertEqual(little.grant(3), 1)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=4)
    def test_slots_nobody_is_owed_go_to_whoever_asks(self):
        small = run_of(factories.schedule().pk)
        queued(small, 1)
        # The small run needs one slot: the big one may take the other three.
        self.assertEqual(pacing.Pacer(self.run).grant(7), 3)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=10)
    def test_a_schedule_s_own_cap(self):
        flying(self.run, 1)
        self.assertEqual(pacing.Pacer(self.run, schedule_cap=3).grant(7), 2)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=0)
    def test_a_schedule_s_own_cap_without_the_site_s(self):
        flying(self.run, 2)
        self.assertEqual(pacing.Pacer(self.run, schedule_cap=3).grant(7), 1)
        self.assertFalse(SlotGate.objects.exists())


def hold_reports():
    """Keep the platform's reports QUEUING (no worker runs them) while a test looks."""
    return mock.patch.object(platform_tasks.calculate_grades_csv, "apply_async")


def end_reports(count=None):
    """End ``count`` of the QUEUING reports (all by default), as a worker would."""
    rows = InstructorTask.objects.filter(task_state="QUEUING").order_by("pk")
    ids = list(rows.values_list("pk", flat=True)[:count] if count else rows.values_list("pk", flat=True))
    InstructorTask.objects.filter(pk__in=ids).update(task_state="SUCCESS", task_output="{}")


@CAP
class FeedingTests(TestCase):
    """A paced run submits up to its slots, waits without a worker, and goes on as reports end."""

    def setUp(self):
        self.schedule = factories.schedule(course_ids=COURSES[:5])
        self.sent = []

    def send(self, run_id, holder, *, countdown):
        self.sent.append((run_id, holder, countdown))
        return True

    def go_on(self):
        """Run the continuation the last hand-off queued, as a worker would after its countdown."""
        run_id, holder, _countdown = self.sent[-1]
        with hold_reports():
            return dispatch.work(run_id, holder=holder)

    def test_the_run_is_fed_as_reports_end_and_each_course_goes_once(self):
        with mock.patch.object(handoff, "send_continuation", self.send), hold_reports():
            first = dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)
        self.assertEqual((first["status"], first["error"]), (Dispatch.HANDED_OVER, "waiting for a free slot"))
        self.assertEqual(self.sent[-1][2], 5)  # PACE_SECONDS: a countdown, no worker waits
        run = ReportRun.objects.get(pk=first["run_id"])
        self.assertEqual((run.status, run.reserved), (RunStatus.RUNNING, 0))
        self.assertEqual(ReportRunCourse.objects.filter(run=run).count(), 2)
        self.assertEqual(ReportRunBatch.objects.get(run=run).size, 3)

        with mock.patch.object(handoff, "send_continuation", self.send):
            self.assertEqual(self.go_on()["status"], Dispatch.HANDED_OVER)  # nothing ended: no slot
            self.assertEqual(ReportRunCourse.objects.filter(run=run).count(), 2)
            end_reports(1)
            self.go_on()
            self.assertEqual(ReportRunCourse.objects.filter(run=run).count(), 3)
            end_reports()
            with self.assertLogs("periodic_instructor_reports.runs", "INFO") as logs:
                last = self.go_on()
        self.assertEqual(last["status"], RunStatus.GENERATING)
        self.assertFalse(ReportRunBatch.objects.filter(run=run).exists())
        submitted = InstructorTask.objects.values_list("course_id", flat=True)
        self.assertEqual(sorted(map(str, submitted)), sorted(COURSES[:5]))
        run.refresh_from_db()
        self.assertEqual(run.pacing["most_in_flight"], 2)
        self.assertEqual(run.pacing["waits"], 3)
        self.assertIn("was paced by the site's cap 2: 3 waits for a free slot", " ".join(logs.output))

    def test_an_eager_worker_ends_reports_at_once_and_the_run_is_never_held(self):
        # The stand-in's reports run eagerly here: each slot frees as soon as it is taken.
        result = dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)
        self.assertEqual(result["status"], Dispatch.HANDED_OVER)  # its continuations ran at once
        self.assertEqual(ReportRun.objects.get(pk=result["run_id"]).status, RunStatus.GENERATING)
        self.assertEqual(InstructorTask.objects.count(), 5)

    def test_a_worker_lost_while_paced_loses_no_course_and_doubles_none(self):
        with mock.patch.object(handoff, "send_continuation", self.send), hold_reports():
            first = dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)
        run = ReportRun.objects.get(pk=first["run_id"])
        # The continuation's message is lost with its worker: the sweep resumes the run later.
        stale = timezone.now() - datetime.timedelta(seconds=901)
        ReportRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
        end_reports()
        with mock.patch.object(handoff, "send_continuation", self.send), hold_reports(), \
                self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            tasks.follow_up.apply().get()
        end_reports()
        with mock.patch.object(handoff, "send_continuation", self.send):
            for _step in range(3):
                self.go_on()
                end_reports()
        submitted = sorted(map(str, InstructorTask.objects.values_list("course_id", flat=True)))
        self.assertEqual(submitted, sorted(COURSES[:5]))


@CAP
class WakeTests(TestCase):
    """A report that ends hands a run waiting for a slot on at once, to one holder only."""

    def setUp(self):
        self.schedule = factories.schedule(course_ids=COURSES[:5])
        self.sent = []

    def send(self, run_id, holder, *, countdown):
        self.sent.append((run_id, holder, countdown))
        return True

    def parked_run(self):
        with mock.patch.object(handoff, "send_continuation", self.send), hold_reports():
            result = dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)
        run = ReportRun.objects.get(pk=result["run_id"])
        self.assertTrue(run.parked)
        return run

    def test_a_report_that_ends_wakes_the_waiting_run_now(self):
        run = self.parked_run()
        waiting_holder = run.holder
        end_reports(1)
        with mock.patch.object(handoff, "send_continuation", self.send):
            self.assertEqual(pacing.wake_parked(), 1)
        woken_run, woken_holder, countdown = self.sent[-1]
        self.assertEqual((woken_run, countdown), (run.pk, 0))
        run.refresh_from_db()
        self.assertEqual((run.holder, run.parked), (woken_holder, False))
        # The countdown's continuation, when it comes, finds the run held by another and does nothing.
        with hold_reports(), self.assertLogs("periodic_instructor_reports.runs", "INFO"):
            self.assertEqual(dispatch.work(run.pk, holder=waiting_holder)["status"], Dispatch.BUSY)
        with hold_reports(), mock.patch.object(handoff, "send_continuation", self.send):
            dispatch.work(run.pk, holder=woken_holder)
        self.assertEqual(ReportRunCourse.objects.filter(run=run).count(), 3)

    def test_a_continuation_that_started_is_never_woken_over(self):
        run = self.parked_run()
        # Its countdown ended: it took the run (``take`` clears ``parked``) and works on it.
        self.assertIsNotNone(lease_take(run.pk, run.holder))
        with mock.patch.object(handoff, "send_continuation", self.send):
            self.assertEqual(pacing.wake_parked(), 0)
        self.assertEqual(ReportRun.objects.get(pk=run.pk).holder, run.holder)

    def test_the_platform_s_report_task_ending_in_a_worker_wakes_it(self):
        run = self.parked_run()
        end_reports()
        with mock.patch.object(handoff, "send_continuation", self.send):
            # A dashboard report, run by the worker (eagerly here): its end wakes the run.
            platform_api.submit_calculate_grades_csv(request_as(factories.user(is_staff=True)),
                                                     CourseKey.from_string(COURSES[6]))
        self.assertEqual(self.sent[-1][:1], (run.pk,))
        self.assertFalse(ReportRun.objects.get(pk=run.pk).parked)

    def test_the_plugin_s_own_tasks_do_not_wake_runs(self):
        self.parked_run()
        with mock.patch.object(pacing, "wake_parked") as wake:
            tasks.follow_up.apply().get()
        wake.assert_not_called()


class WindowTests(TestCase):
    """A run that cannot finish within its schedule's window says so early, once."""

    def setUp(self):
        self.schedule = factories.schedule(course_ids=COURSES[:5], finish_within=datetime.timedelta(hours=1))

    def ended(self, run, count, minutes):
        now = timezone.now()
        for number in range(count):
            ReportRunCourse.objects.create(
                run=run, course_id=f"course-v1:Done+D+{number}", outcome=Outcome.GENERATED,
                started_at=now - datetime.timedelta(minutes=minutes), finished_at=now,
            )

    def test_the_run_s_window_is_its_due_time_and_the_schedule_s(self):
        result = dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)
        run = ReportRun.objects.get(pk=result["run_id"])
        self.assertEqual(run.finish_by, run.planned_at + datetime.timedelta(hours=1))

    def test_foreseen_late_it_says_so_once(self):
        run = run_of(self.schedule.pk, finish_by=timezone.now() + datetime.timedelta(hours=1))
        queued(run, 7)
        self.assertIsNone(pacing.foresee(run, slots=2))
        self.assertEqual(pacing.check_window(run, slots=2), "")
        self.ended(run, 2, minutes=30)
        # 7 courses 2 at a time, 30 minutes each: about 2 hours, past the hour left.
        expected = pacing.foresee(run, slots=2)
        self.assertAlmostEqual((expected - timezone.now()).total_seconds(), 4 * 1800, delta=60)
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
            warning = pacing.check_window(run, slots=2)
        self.assertIn("expected to end about", warning)
        self.assertIn("after its window ends at", " ".join(logs.output))
        self.assertEqual(ReportRun.objects.get(pk=run.pk).warning, warning)
        self.assertEqual(pacing.check_window(run, slots=2), "")  # once

    def test_on_time_it_says_nothing(self):
        run = run_of(self.schedule.pk, finish_by=timezone.now() + datetime.timedelta(hours=1))
        queued(run, 2)
        self.ended(run, 1, minutes=5)
        self.assertEqual(pacing.check_window(run, slots=2), "")

    def test_the_follow_up_job_tells_a_run_past_its_window(self):
        run = run_of(self.schedule.pk, status=RunStatus.GENERATING,
                     finish_by=timezone.now() - datetime.timedelta(minutes=1))
        on_time = run_of(factories.schedule().pk, status=RunStatus.GENERATING,
                         finish_by=timezone.now() + datetime.timedelta(hours=1))
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            self.assertEqual(tasks.follow_up.apply().get()["late"], 1)
        self.assertIn("its window ended at", ReportRun.objects.get(pk=run.pk).warning)
        self.assertEqual(ReportRun.objects.get(pk=on_time.pk).warning, "")


@unittest.skipIf(connection.vendor == "sqlite", "sqlite runs one writer at a time: no race to lose")
class ConcurrentGrantTests(TransactionTestCase):
    """Two workers pacing two runs at the same moment never grant more than the cap together."""

    def grant_at_once(self, runs):
        barrier, granted = threading.Barrier(len(runs)), {}
        counting = pacing.in_flight_by_run

        def slow_count(run_ids=None):
            found = counting(run_ids)
            time.sleep(0.2)  # both count before either reserves, unless the gate serialises them
            return found

        def grant(run):
            try:
                barrier.wait()
                granted[run.pk] = pacing.Pacer(run).grant(7)
            finally:
                connection.close()

        with mock.patch.object(pacing, "in_flight_by_run", slow_count):
            threads = [threading.Thread(target=grant, args=(run,)) for run in runs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return granted

    def runs(self):
        runs = [run_of(factories.schedule(course_ids=[COURSES[number]]).pk) for number in range(2)]
        for run in runs:
            queued(run, 7)
        SlotGate.objects.get_or_create(pk=1)
        return runs

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=3)
    def test_the_gate_keeps_the_sum_under_the_cap(self):
        granted = self.grant_at_once(self.runs())
        self.assertEqual(sum(granted.values()), 3)
        self.assertEqual(sum(ReportRun.objects.values_list("reserved", flat=True)), 3)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=3)
    def test_without_the_gate_they_would_overshoot(self):
        # The race the gate prevents is real: without its lock both grant from the same count.
        with mock.patch.object(pacing, "_lock_gate", lambda: SlotGate.objects.get(pk=1)):
            granted = self.grant_at_once(self.runs())
        self.assertGreater(sum(granted.values()), 3)
