"""
Faults on the real stack: a second beat, killed workers, Redis and the database going away.

Each scenario starts celery beat and worker processes of its own (the suite's beat and worker
are stopped for this module), with the platform stand-in made slow where a fault must land in
the middle of a dispatch (``PIR_IT_SUBMIT_DELAY`` seconds per submission), injects the fault,
waits (polling, with deadlines) until the schedule's runs have finished, and checks from the
stand-in's ``InstructorTask`` rows that every course was submitted exactly once per due time,
that no run is left ``running``, ``retrying`` or ``generating``, and that each course's report was
followed to its file (or, where the fault took the report's message with it, recorded ``lost``
once unfinished for 40 s). The follow-up job, which resumes stalled runs, catches up missed due
times and follows reports to their files, runs every 2 s here (a minute in production); a run
resumes after 10 s without progress (``tests/integration/settings.py``).
"""

import contextlib
import datetime
import itertools
import os
import re
import signal
import time

from django_celery_beat.models import IntervalSchedule
from lms.celery import APP

from demo.processes import wait_for
from periodic_instructor_reports import api, beat, housekeeping
from tests.integration import harness
from tests.integration.harness import (
    DEADLINE,
    assert_once_per_due_time,
    create_schedule,
    due_in,
    start_processes,
    wait_until_settled,
    wait_until_submitted,
)

TASK_TYPE = "grade_course"  # the platform's task type of the grade report
# Enough courses, each submission slow enough, for a fault to land while a dispatch is under way
# (60 x 0.1 s: about 6 s), and how many submissions to wait for before injecting it.
COURSES = 60
SLOW = 0.1
PART_WAY = 15
# Seconds after which a report still unfinished is recorded lost, for this module's processes (a
# day in production): a fault may take a report's message with it.
LOST_AFTER = 40
LAUNCH_ENV = {"PIR_IT_LOST_AFTER": LOST_AFTER}


def course_ids(name, count=COURSES):
    return harness.course_ids("Faults", name, count)


def hourly_schedule(reports, owner, every, courses, folder, *, due_after):
    """Create an hourly grade report schedule whose next due time is ``due_after`` seconds away."""
    schedule = create_schedule(
        owner, name=f"Faults: {folder}", task=reports["grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=courses, upload_folder_prefix=f"faults-{folder}/", upload_folder_structure="flat",
    )
    return schedule, due_in(schedule, due_after)


def pool_process_of(task_id):
    """Return the pid of the pool process running the Celery task ``task_id`` (remote control), or None."""
    # One worker consumes the suite's Redis database meanwhile: its reply is the only one.
    for active in (APP.control.inspect(timeout=2, limit=1).active() or {}).values():
        for task in active:
            if task["id"] == task_id and task.get("worker_pid"):
                return task["worker_pid"]
    return None


def resumed_courses(run, log):
    """
    Return the courses of the run that were found in the platform after an interruption, from a
    worker's log (the run history's note on them goes once their report is generated).
    """
    return set(re.findall(rf"Periodic report run {run.pk}: (\S+) was submitted before the interruption", log))


def test_two_beats_run_each_due_time_once(launch, kind, owner, reports, every):
    children = launch(PIR_IT_SUBMIT_DELAY=0.02)
    start_processes(children, kind=kind, workers=["worker"], beats=["beat-a", "beat-b"])
    courses = course_ids("TwoBeats", 40)
    schedule = create_schedule(
        owner, name="Faults: two beats", task=reports["grade"], interval=every(4), course_ids=courses,
        upload_folder_prefix="faults-two-beats/", upload_folder_structure="flat",
    )
    row = beat.beat_row_name(schedule.pk)
    wait_for(lambda: harness.runs(schedule, status="done").count() >= 4, timeout=DEADLINE,
             what="four runs of the schedule, done", children=children)
    # Both beats stop: the messages they sent are worked off, and nothing new comes.
    for name in ("beat-a", "beat-b"):
        stopped = children.processes.pop(name)
        stopped.terminate()
        stopped.wait(DEADLINE)
    # A message not taken up once it expired (beat rows expire them at the next due time, 4 s)
    # starts no run; then no run is under way any more.
    expired = time.monotonic() + 4 + 1
    wait_for(lambda: time.monotonic() > expired
             and not harness.runs(schedule, status__in=["running", "retrying"]).exists(),
             timeout=DEADLINE, what="the runs to submit all their courses", children=children)
    # The last runs' reports are followed by the follow-up job, which needs a beat: one starts
    # again with the schedule paused (so no run is cut short, and none starts).
    api.pause_schedules([schedule], acting_user=owner)
    start_processes(children, kind=kind, beats=["beat-c"])
    wait_until_settled(children, schedule, runs_at_least=4)

    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE)
    assert not refused
    # Each run is for its own due time on the schedule's grid, one after the other, none missed.
    due_times = [run.planned_at for run in runs]
    interval = datetime.timedelta(seconds=4)
    assert all((due - schedule.anchor) % interval == datetime.timedelta(0) for due in due_times), due_times
    assert all(later - earlier == interval for earlier, later in itertools.pairwise(due_times)), due_times
    assert {run.trigger for run in runs} == {"beat"} and not any(run.missed for run in runs)
    # Both beats fired every due time; the second message of each was turned away.
    sends = [children.log(name).count(f"Sending due task {row} ") for name in ("beat-a", "beat-b")]
    assert min(sends) >= len(runs) - 1 and sum(sends) >= 2 * len(runs) - 1, (sends, len(runs))
    turned_away = len(re.findall(
        rf"Periodic report schedule {schedule.pk}(?: already ran for|: its run for .* is in progress)",
        children.log("worker"),
    ))
    assert turned_away >= len(runs) - 1, (turned_away, sends, len(runs))


def test_a_pool_process_killed_mid_dispatch_resumes_at_once(launch, kind, owner, reports, every):
    children = launch(PIR_IT_SUBMIT_DELAY=SLOW)
    start_processes(children, kind=kind, workers=["worker"], beats=["beat"])
    # 150 courses: the resumed dispatch (one batch, some 13 s) outlasts RESUME_AFTER (10 s), so
    # it must renew its hold on the run as it goes, or the follow-up job would take it over.
    courses = course_ids("PoolKill", 150)
    schedule, due = hourly_schedule(reports, owner, every, courses, "pool-kill", due_after=2)

    wait_until_submitted(children, courses, task_type=TASK_TYPE, at_least=PART_WAY)
    run = harness.runs(schedule).get()
    pid = wait_for(lambda: pool_process_of(run.holder), timeout=10, what="the pool process of the dispatch",
                   children=children)
    assert pid in harness.child_pids(children.processes["worker"].pid)
    os.kill(pid, signal.SIGKILL)

    wait_until_settled(children, schedule)
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE)
    run = runs[0]
    assert (len(runs), run.planned_at, run.trigger, refused) == (1, due, "beat", [])
    worker_log = children.log("worker")
    assert f"pid:{pid} exited with 'signal 9 (SIGKILL)'" in worker_log
    # The message came back with the same task id, which still held the run: not a resumption
    # by the follow-up job. The courses submitted before the kill were found in the platform.
    assert run.resumptions == 0
    assert len(resumed_courses(run, worker_log)) >= PART_WAY


def test_a_worker_killed_mid_dispatch_is_resumed_on_a_new_worker(launch, kind, owner, reports, every):
    children = launch(PIR_IT_SUBMIT_DELAY=SLOW)
    start_processes(children, kind=kind, workers=["worker-1"], beats=["beat"])
    courses = course_ids("WorkerKill")
    schedule, due = hourly_schedule(reports, owner, every, courses, "worker-kill", due_after=2)

    wait_until_submitted(children, courses, task_type=TASK_TYPE, at_least=PART_WAY)
    harness.kill_group(children.processes.pop("worker-1"))
    start_processes(children, kind=kind, workers=["worker-2"])

    wait_until_settled(children, schedule, timeout=DEADLINE + LOST_AFTER)
    # Report messages the killed worker had prefetched stay unacknowledged too: those reports are lost.
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE, lost_ok=True)
    run = runs[0]
    assert (len(runs), run.planned_at, run.trigger, refused) == (1, due, "beat", [])
    # Its message stays unacknowledged in Redis (an hour's visibility timeout): the follow-up
    # job on the new worker took the run over once it had made no progress for 10 s.
    assert run.resumptions == 1
    assert f"Periodic report run {run.pk} is resumed by" in children.log("worker-2")
    assert len(resumed_courses(run, children.log("worker-2"))) >= PART_WAY


def test_a_worker_killed_while_recording_a_run_s_courses_is_recorded_again_in_full(
    launch, kind, owner, reports, every,
):
    from lms.djangoapps.instructor_task.models import InstructorTask

    # Looking up the listed courses takes 5 s: time to kill the worker while it records them.
    children = launch(PIR_IT_COURSE_LOOKUP_DELAY=5)
    start_processes(children, kind=kind, workers=["worker-1"], beats=["beat"])
    courses = course_ids("RecordKill")
    schedule, due = hourly_schedule(reports, owner, every, courses, "record-kill", due_after=2)

    wait_for(lambda: harness.runs(schedule, course_total__isnull=True).exists(), timeout=DEADLINE,
             what="a run recording its courses", children=children)
    harness.kill_group(children.processes.pop("worker-1"))
    # Killed before its recording was committed: no course recorded, none submitted.
    assert harness.runs(schedule).get().course_total is None
    assert not InstructorTask.objects.filter(course_id__in=courses).exists()
    start_processes(children, kind=kind, workers=["worker-2"])

    wait_until_settled(children, schedule)
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE)
    run = runs[0]
    assert (len(runs), run.planned_at, run.trigger, refused) == (1, due, "beat", [])
    # The follow-up job took the run over and, a beat run, recorded its courses again.
    assert (run.resumptions, run.course_total) == (1, COURSES)
    assert f"Periodic report run {run.pk} is resumed by" in children.log("worker-2")


@contextlib.contextmanager
def redis_stopped(server, children, *, kind):
    """
    Stop the scenario's Redis meanwhile (yielding its worker), then start it again.

    A worker that holds an unacknowledged message when Redis goes away (the acks_late dispatch, a
    prefetched one) may die of it: kombu 5 restores the message to the unreachable broker and
    the worker shuts down with "Unrecoverable error" (once its pool's task ends). Once Redis is
    back the worker either reconnects, or exits and is restarted, as its supervisor would:
    whatever is left of it (a pool process) is killed first, as a container or systemd unit
    restart does.
    """
    name = next(name for name in children.processes if name.startswith("worker"))
    worker = children.processes.pop(name)  # so waits meanwhile do not fail if it dies
    logged = len(children.log(name))
    server.stop()
    try:
        yield worker
    finally:
        server.start()

        def reconnected_or_exited():
            if worker.poll() is not None:
                return "exited"
            since = children.log(name)[logged:]
            if "Connected to redis" in since and "Unrecoverable error" not in since:
                return "reconnected"
            return None

        if wait_for(reconnected_or_exited, timeout=DEADLINE, what=f"{name} to reconnect or exit") == "exited":
            harness.kill_group(worker)
            restarts = len(list(children.log_dir.glob("worker*.log")))
            start_processes(children, kind=kind, workers=[f"worker-{restarts + 1}"])
        else:
            children.processes[name] = worker


def test_redis_stopped_as_beat_fires_and_mid_dispatch(private_redis, launch, kind, owner, reports, every):
    children = launch(PIR_IT_REDIS_URL=private_redis.url, PIR_IT_SUBMIT_DELAY=SLOW)
    start_processes(children, kind=kind, workers=["worker"], beats=["beat"])
    # Beat connects to the broker as it sends its first task; stopped before that, Redis would
    # keep beat waiting to connect instead of failing to send.
    wait_for(lambda: f"Sending due task {housekeeping.FOLLOW_UP_BEAT_ROW} " in children.log("beat"),
             timeout=DEADLINE, what="beat to send the follow-up job", children=children)

    # Beat fires while Redis is down: the due time gets no run, and the follow-up job catches it
    # up once Redis is back. The due time is put 150 s in the past, so it is already older than
    # the two minutes the follow-up leaves beat before catching a due time up.
    fired = course_ids("RedisBeat", 10)
    with redis_stopped(private_redis, children, kind=kind):
        missed, overdue = hourly_schedule(reports, owner, every, fired, "redis-beat", due_after=-150)
        send_failed = re.compile(
            rf"Sending due task {beat.beat_row_name(missed.pk)} .*\n\[[^\]]*ERROR/MainProcess\] Message Error"
        )
        wait_for(lambda: send_failed.search(children.log("beat")), timeout=DEADLINE,
                 what="beat to fail sending the schedule", children=children)
    wait_until_settled(children, missed, timeout=DEADLINE + LOST_AFTER)

    # Redis stops while a dispatch submits courses: the platform cannot queue the next report
    # (it records that submission as FAILURE) and the rest must wait; the continuation cannot be
    # queued either, so the run is left without a holder (or its worker dies, see above). Once
    # Redis is back the follow-up job resumes the run.
    courses = course_ids("RedisDispatch")
    schedule, due = hourly_schedule(reports, owner, every, courses, "redis-dispatch", due_after=2)
    wait_until_submitted(children, courses, task_type=TASK_TYPE, at_least=PART_WAY)
    with redis_stopped(private_redis, children, kind=kind) as worker:
        wait_for(lambda: harness.platform_rows(courses, task_type=TASK_TYPE)[1], timeout=DEADLINE,
                 what="the platform to fail queueing a submission")
        wait_for(lambda: worker.poll() is not None or harness.runs(schedule, holder="").exists(),
                 timeout=DEADLINE, what="the run to be left without a holder, or the worker to die")
    wait_until_settled(children, schedule, timeout=DEADLINE + LOST_AFTER)

    # A report message Redis held when it stopped is lost with it.
    runs, _, refused = assert_once_per_due_time(missed, fired, task_type=TASK_TYPE, lost_ok=True)
    assert [(run.trigger, run.planned_at) for run in runs] == [("catch_up", overdue)]
    assert not refused
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE, lost_ok=True)
    run = runs[0]
    assert (len(runs), run.planned_at, run.trigger, run.resumptions > 0) == (1, due, "beat", True)
    # The submission Redis refused is the platform's FAILURE row; that course was submitted
    # again once Redis was back (and counted once above).
    assert refused, "no submission met the stopped Redis"
    print(f"\nworkers that died while Redis was down: {len(list(children.log_dir.glob('worker*.log'))) - 1}")


def test_the_database_connection_killed_mid_run(launch, kind, owner, reports, every):
    children = launch(PIR_IT_SUBMIT_DELAY=SLOW)
    start_processes(children, kind=kind, workers=["worker"], beats=["beat"])
    courses = course_ids("DatabaseKill")
    schedule, due = hourly_schedule(reports, owner, every, courses, "database-kill", due_after=2)

    wait_until_submitted(children, courses, task_type=TASK_TYPE, at_least=PART_WAY)
    worker = children.processes["worker"]
    ports = harness.tcp_ports([worker.pid, *harness.child_pids(worker.pid)])
    assert harness.kill_database_sessions(kind, ports) >= 1

    wait_until_settled(children, schedule, timeout=DEADLINE + LOST_AFTER)
    run = harness.runs(schedule).get()
    assert f"Periodic report run {run.pk}: database error" in children.log("worker")
    # The task gave the run up to its own retry, 30 s later (tasks.DATABASE_RETRY_DELAY); the
    # follow-up job took the run over first, 10 s after its last progress. The retry, when it
    # comes, finds the run taken and submits nothing.
    retry = re.search(r"continue_report_run\[([0-9a-f-]+)\] retry: Retry in", children.log("worker")).group(1)
    turned_away = re.compile(
        rf"continue_report_run\[{retry}\] succeeded in \S+: \{{'schedule_id': None, 'run_id': {run.pk}, "
        r"'status': 'busy'"
    )
    wait_for(lambda: turned_away.search(children.log("worker")), timeout=DEADLINE,
             what="the interrupted task's own retry to find the run taken over", children=children)

    # A report whose process lost its database session mid-report never records its end: lost.
    runs, _, refused = assert_once_per_due_time(schedule, courses, task_type=TASK_TYPE, lost_ok=True)
    run = runs[0]
    assert (len(runs), run.planned_at, run.trigger, refused, run.resumptions) == (1, due, "beat", [], 1)
    assert len(resumed_courses(run, children.log("worker"))) >= PART_WAY
