"""
Fair dispatch on the real stack: the site's cap on the plugin's reports in flight, with beat,
workers, Redis and the database.

Each scenario starts celery beat and worker processes of its own (the suite's beat and worker are
stopped for this module), whose settings turn pacing on: at most ``CAP`` of the plugin's reports
in flight site-wide, a run without a free slot looks again ``PACE`` seconds later, and each
stand-in report stays PROGRESS ``REPORT`` seconds, as on a busy report worker. The other modules'
processes keep pacing off. While the schedules run, the scenario samples every 0.1 s the plugin's
reports in flight (``pacing.in_flight_by_run``) and the platform's unfinished task rows of the
scenario's courses (which also counts a submission not stored yet), and checks that neither ever
went above the cap; at the end, from the platform's task rows, that every course was submitted
and generated exactly once per due time. The crash scenarios stop a dispatching worker (SIGKILL)
or Redis while a run waits for a slot or submits; the recovery sweep resumes the run 10 s after
its last progress (``RESUME_AFTER`` in ``tests/integration/settings.py``).
"""

import datetime
import functools
import math
import re
import time

import pytest
from common.djangoapps.student.models import CourseAccessRole
from django.test import RequestFactory
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule
from lms.djangoapps.instructor_task.api import submit_calculate_grades_csv
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey

from demo import processes
from demo.processes import wait_for
from periodic_instructor_reports import api, housekeeping, states
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import pacing, store
from periodic_instructor_reports.states import Outcome, RunStatus
from tests import factories
from tests.integration import harness
from tests.integration.harness import (
    DEADLINE,
    WORKER_READY,
    assert_once_per_due_time,
    create_schedule,
    make_courses,
    start_processes,
)
from tests.integration.test_live_faults import redis_stopped

TASK_TYPE = "grade_course"  # the platform's task type of the grade report
CAP = 2
PACE = 1
REPORT = 0.3
LAUNCH_ENV = {"PIR_IT_MAX_IN_FLIGHT": CAP, "PIR_IT_PACE_SECONDS": PACE, "PIR_IT_REPORT_SECONDS": REPORT}
# Pool processes generating reports in the two-worker scenarios (two workers of two each).
POOL = 4
# Celery's latency, a busy CI machine: on top of what the cap and pacing account for.
MARGIN = 2
SAMPLE_EVERY = 0.1


course_ids = functools.partial(harness.course_ids, "Pacing")


@pytest.fixture(autouse=True)
def nothing_in_flight_before(own_processes):  # noqa: ARG001  (once the suite's workers are stopped)
    """
    End the runs earlier scenarios left in progress, before each of these: they would hold slots.

    A fault scenario's report whose message a stopped Redis took stays QUEUING (recorded lost
    only after a day here), and its run generating: site-wide, it counts against the cap.
    """
    ReportRun.objects.filter(status__in=states.IN_PROGRESS).update(
        status=RunStatus.ERROR, error="ended before the pacing scenarios", holder="", parked=False,
        reserved=0,
    )


def start_worker(children, name, *, kind, queue):
    """Start a worker consuming ``queue`` only (reports, or the dispatcher) and wait until it is up."""
    command = processes.worker_command(name=f"{name}-{kind}@%h")
    command[command.index("-Q") + 1] = queue
    children.start(name, command)
    wait_for(lambda: WORKER_READY in children.log(name), timeout=DEADLINE,
             what=f"the worker {name} to be ready", children=children)


def hourly_schedule(reports, owner, every, courses, folder):
    """Create an hourly grade report schedule of ``courses``, for ``harness.due_together`` to move."""
    return create_schedule(
        owner, name=f"Pacing: {folder}", task=reports["grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=courses, upload_folder_prefix=f"pacing-{folder}/", upload_folder_structure="flat",
    )


class InFlight:
    """
    Samples of the reports in flight: the plugin's, site-wide, as the pacer counts them, and the
    platform's unfinished task rows of the scenario's courses (a submission before the run stores it).
    """

    def __init__(self, courses):
        self.courses = list(courses)
        self.samples = []

    def sample(self):
        plugin = sum(pacing.in_flight_by_run().values())
        # A report whose message an outage took never leaves QUEUING: once the plugin records it
        # lost (LOST_AFTER) it holds no slot, and it is not counted here either.
        lost = ReportRunCourse.objects.filter(outcome=Outcome.LOST).values("task_id")
        platform = InstructorTask.objects.filter(
            course_id__in=self.courses, task_state__in=pacing.IN_FLIGHT_STATES
        ).exclude(task_id__in=lost).count()
        self.samples.append((plugin, platform))

    @property
    def peak(self):
        """Return the most reports in flight sampled, by either count."""
        return max((max(sample) for sample in self.samples), default=0)

    def assert_under_cap(self):
        over = [sample for sample in self.samples if max(sample) > CAP]
        assert not over, f"reports in flight above the cap of {CAP} (plugin, platform): {over}"
        assert self.peak >= 1, self.samples
        print(f"\nreports in flight: {len(self.samples)} samples, at most {self.peak} (cap {CAP})")


def watch(children, in_flight, condition, what, timeout=DEADLINE):
    """Sample the reports in flight every 0.1 s until ``condition`` is true; return its value."""

    def sampled():
        in_flight.sample()
        return condition()

    return wait_for(sampled, timeout=timeout, what=what, children=children, interval=SAMPLE_EVERY)


def settled(schedule, runs_at_least=1):
    """Return whether the schedule has its runs and each has ended (none running, retrying, generating)."""
    found = list(harness.runs(schedule))
    return len(found) >= runs_at_least and not [
        run for run in found if run.status in (*states.UNFINISHED, RunStatus.GENERATING)
    ]


def wait_settled(children, in_flight, schedules, timeout=DEADLINE):
    """Sample until every one of ``schedules`` settled; fail with their runs' states otherwise."""
    try:
        watch(children, in_flight, lambda: all(settled(schedule) for schedule in schedules),
              f"the runs of schedules {[schedule.pk for schedule in schedules]} to finish", timeout=timeout)
    except TimeoutError as err:
        state = [(run.pk, run.status, run.counts, run.pacing, run.error)
                 for schedule in schedules for run in harness.runs(schedule)]
        raise TimeoutError(f"{err}; their runs (id, status, counts, pacing, error): {state}") from err


def slot_waits(children, run):
    """Return how many times the run was handed over to wait for a free slot, from the workers' logs."""
    waited = re.compile(
        rf"'run_id': {run.pk}, 'status': 'handed_over', [^\n]*'error': 'waiting for a free slot'"
    )
    logs = [path.read_text(errors="replace") for path in children.log_dir.glob("*.log")]
    return sum(len(waited.findall(log)) for log in logs)


def platform_count(courses, **filters):
    """Return how many platform task rows of ``courses`` (the grade report) match ``filters``."""
    return InstructorTask.objects.filter(course_id__in=courses, task_type=TASK_TYPE, **filters).count()


def assert_paced_once(schedule, courses, due):
    """Check the schedule's one run (exactly once per course, its files) and its pacing figures; return it."""
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE)
    run = runs[0]
    assert (len(runs), run.planned_at, refused) == (1, due, []), (len(runs), run.planned_at, refused)
    figures = run.pacing or {}
    assert figures.get("cap") == CAP and 1 <= figures.get("most_in_flight", 0) <= CAP, figures
    return run


def test_the_cap_holds_with_two_workers_dispatching_two_schedules_at_once(
    launch, kind, owner, reports, every,
):
    children = launch()
    start_processes(children, kind=kind, workers=["worker-1", "worker-2"], beats=["beat"])
    first, second = course_ids("CapA", 12), course_ids("CapB", 12)
    schedules = [hourly_schedule(reports, owner, every, first, "cap-a"),
                 hourly_schedule(reports, owner, every, second, "cap-b")]
    due = harness.due_together(schedules, 2)
    in_flight = InFlight(first + second)

    wait_settled(children, in_flight, schedules)

    in_flight.assert_under_cap()
    runs = [assert_paced_once(schedule, courses, due) for schedule, courses in zip(schedules, (first, second),
                                                                                  strict=True)]
    assert {run.trigger for run in runs} == {"beat"}
    # Both runs were under way at once, each handed over to wait for slots the other held.
    assert max(run.started_at for run in runs) < min(run.finished_at for run in runs)
    assert all(slot_waits(children, run) >= 1 for run in runs), [run.pacing for run in runs]
    # Both workers dispatched: each took continuations of the runs.
    for name in ("worker-1", "worker-2"):
        assert "continue_report_run[" in children.log(name), f"{name} dispatched nothing"


def test_a_dashboard_report_mid_run_is_served_within_the_bound(launch, kind, owner, reports, every):
    children = launch()
    start_processes(children, kind=kind, workers=["worker-1", "worker-2"], beats=["beat"])
    courses = course_ids("Dashboard", 20)
    schedule = hourly_schedule(reports, owner, every, courses, "dashboard")
    due = harness.due_together([schedule], 2)
    in_flight = InFlight(courses)
    # An instructor of another course, on the instructor dashboard.
    other = "course-v1:Pacing+Other+2026"
    make_courses([other])
    instructor = factories.user(username="pacing-instructor")
    CourseAccessRole.objects.create(user=instructor, role="instructor", course_id=other, org="Pacing")
    request = RequestFactory().get("/")
    request.user = instructor

    watch(children, in_flight, lambda: platform_count(courses, task_state="SUCCESS") >= 2 * CAP,
          "the schedule's run to be part way")
    clicked = time.monotonic()
    task = submit_calculate_grades_csv(request, CourseKey.from_string(other))
    watch(children, in_flight,
          lambda: InstructorTask.objects.filter(pk=task.pk, task_state__in=("PROGRESS", "SUCCESS")).exists(),
          "the dashboard's report to start")
    waited = time.monotonic() - clicked
    run = harness.runs(schedule).get()
    left = store.open_count(run.pk)
    # Ahead of it in the report queue: at most the cap's worth of the plugin's reports, shared by
    # the pool's processes; then a run's pace (a pool process on a run's step) and Celery's latency.
    bound = math.ceil(CAP / POOL) * REPORT + PACE + MARGIN
    print(f"\nthe dashboard's report started {waited:.2f} s after its submission (bound {bound} s); "
          f"the run had {left} courses left")
    assert waited <= bound, (waited, bound)
    assert run.status in states.UNFINISHED and left > 0, (run.status, left)

    wait_settled(children, in_flight, [schedule])
    in_flight.assert_under_cap()
    assert_paced_once(schedule, courses, due)
    task.refresh_from_db()
    assert task.task_state == "SUCCESS", (task.task_state, task.task_output)


def test_a_small_schedule_gets_slots_while_a_big_one_fills_the_cap(launch, kind, owner, reports, every):
    children = launch()
    start_processes(children, kind=kind, workers=["worker-1", "worker-2"], beats=["beat"])
    big, small = course_ids("FairBig", 24), course_ids("FairSmall", 4)
    big_schedule = hourly_schedule(reports, owner, every, big, "fair-big")
    due = harness.due_together([big_schedule], 2)
    small_schedule = hourly_schedule(reports, owner, every, small, "fair-small")
    in_flight = InFlight(big + small)

    watch(children, in_flight, lambda: in_flight.samples[-1][1] == CAP, "the big run to fill the cap")
    api.run_schedules_now(PeriodicReportSchedule.objects.filter(pk=small_schedule.pk), acting_user=owner)
    watch(children, in_flight, lambda: platform_count(small, task_state="SUCCESS") == len(small),
          "the small run's reports to be generated")
    big_run = harness.runs(big_schedule).get()
    left = store.open_count(big_run.pk)
    print(f"\nthe small run's reports were generated with {left} of the big run's {len(big)} courses left")
    assert left > 0, "the small run got slots only once the big run had submitted every course"

    wait_settled(children, in_flight, [big_schedule, small_schedule])
    in_flight.assert_under_cap()
    big_run = assert_paced_once(big_schedule, big, due)
    small_run = harness.runs(small_schedule).get()
    assert_paced_once(small_schedule, small, small_run.planned_at)
    assert small_run.trigger == "manual" and small_run.finished_at < big_run.finished_at
    # From the platform's rows: every small report ended before the big run's last submission.
    small_ended = max(InstructorTask.objects.filter(course_id__in=small).values_list("updated", flat=True))
    big_last = max(InstructorTask.objects.filter(course_id__in=big).values_list("created", flat=True))
    assert small_ended < big_last, (small_ended, big_last)


def waiting_for_a_slot(run, ahead=0):
    """
    Whether the run is handed over to a continuation due later (its look for a free slot), holding
    no slot, and due at least ``ahead`` seconds from now.
    """
    soon = timezone.now() + datetime.timedelta(seconds=ahead)
    return run.reserved == 0 and run.heartbeat_at is not None and run.heartbeat_at > soon


def submitting(run, courses):
    """
    Whether a step of two courses is under way: it has reached the platform with one it has not
    stored yet, and the other's submission takes 0.3 s more. A step of one stores its row a few
    milliseconds after the platform has it: a kill seen there lands after the row is stored.
    """
    return run.reserved > 1 and platform_count(courses) > run.courses.count()


@pytest.mark.parametrize("moment", ["waiting", "submitting"])
def test_a_dispatch_worker_killed_while_pacing_is_resumed_each_course_once(
    moment, launch, kind, owner, reports, every,
):
    from lms.djangoapps.instructor_task.api_helper import DEFAULT_PRIORITY_QUEUE, HIGH_MEM_QUEUE

    # Each submission takes 0.3 s, so a step of two is under way long enough to be stopped in.
    children = launch(PIR_IT_SUBMIT_DELAY=0.3)
    # Reports have a worker of their own, which lives on: the kill takes no report with it.
    start_worker(children, "reports", kind=kind, queue=HIGH_MEM_QUEUE)
    start_worker(children, "dispatch-1", kind=kind, queue=DEFAULT_PRIORITY_QUEUE)
    start_processes(children, kind=kind, beats=["beat"])
    courses = course_ids(f"Kill{moment.title()}", 16)
    schedule = hourly_schedule(reports, owner, every, courses, f"kill-{moment}")
    due = harness.due_together([schedule], 2)
    in_flight = InFlight(courses)

    def part_way_and_there():
        run = harness.runs(schedule).first()
        part_way = platform_count(courses, task_state="SUCCESS") >= 2 * CAP
        there = waiting_for_a_slot if moment == "waiting" else lambda run: submitting(run, courses)
        return run is not None and part_way and there(run)

    watch(children, in_flight, part_way_and_there, f"the run part way and {moment}")
    harness.kill_group(children.processes.pop("dispatch-1"))
    killed_at = harness.runs(schedule).get()
    print(f"\nkilled {moment}: reserved {killed_at.reserved}, {store.open_count(killed_at.pk)} "
          f"courses left, {platform_count(courses)} submitted")
    start_worker(children, "dispatch-2", kind=kind, queue=DEFAULT_PRIORITY_QUEUE)

    wait_settled(children, in_flight, [schedule])
    in_flight.assert_under_cap()
    run = assert_paced_once(schedule, courses, due)
    # Killed mid-step, the follow-up job on the new worker takes the run over once it made no
    # progress for 10 s. Killed while it waited for a slot (its continuation lost with the worker),
    # the end of one of its reports may wake it first, and then it is not resumed at all.
    allowed = (0, 1) if moment == "waiting" else (1,)
    assert run.resumptions in allowed, run.resumptions
    if run.resumptions:
        assert f"Periodic report run {run.pk} is resumed by" in children.log("dispatch-2")
    resumed = set(re.findall(rf"Periodic report run {run.pk}: (\S+) was submitted before the interruption",
                             children.log("dispatch-2")))
    print(f"courses found submitted before the interruption: {sorted(resumed)}")
    if moment == "submitting":
        assert resumed, "the course the interrupted step had submitted was not found in the platform"


def test_redis_stopped_while_a_run_waits_for_a_slot(private_redis, launch, kind, owner, reports, every):
    # A report whose message a stopped Redis takes with it holds its slot until recorded lost: 20 s
    # here. The run looks for a slot every 2 s, time to stop Redis between its reports.
    pace = 2
    children = launch(PIR_IT_REDIS_URL=private_redis.url, PIR_IT_LOST_AFTER=20, PIR_IT_PACE_SECONDS=pace)
    start_processes(children, kind=kind, workers=["worker"], beats=["beat"])
    # Beat connects to the broker as it sends its first task (see test_live_faults).
    wait_for(lambda: f"Sending due task {housekeeping.FOLLOW_UP_BEAT_ROW} " in children.log("beat"),
             timeout=DEADLINE, what="beat to send the follow-up job", children=children)
    courses = course_ids("Outage", 16)
    schedule = hourly_schedule(reports, owner, every, courses, "outage")
    due = harness.due_together([schedule], 2)
    in_flight = InFlight(courses)

    def between_reports():
        run = harness.runs(schedule).first()
        part_way = platform_count(courses, task_state="SUCCESS") >= 2 * CAP
        return run is not None and part_way and waiting_for_a_slot(run, 1)

    # A report that ends wakes the run at once, so it waits with reports of its own in flight.
    watch(children, in_flight, between_reports, "the run waiting for a slot")
    # Redis stays down past the continuation's due time: its look for a slot meets the outage (or
    # its message goes with Redis); the recovery sweep resumes the run once Redis is back.
    back = time.monotonic() + pace + 3
    with redis_stopped(private_redis, children, kind=kind):
        watch(children, in_flight, lambda: time.monotonic() > back, "Redis to stay down a while")
    wait_settled(children, in_flight, [schedule], timeout=DEADLINE + 20)

    in_flight.assert_under_cap()
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE, lost_ok=True)
    run = runs[0]
    assert (len(runs), run.planned_at) == (1, due)
    lost = run.counts.get("lost", 0)
    workers = len(list(children.log_dir.glob("worker*.log")))
    print(f"submissions Redis refused: {len(refused)}; reports lost: {lost}; resumptions: {run.resumptions}; "
          f"workers that died: {workers - 1}")
