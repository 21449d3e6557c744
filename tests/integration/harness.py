"""
What the integration scenarios share: the services, the suite's database, making schedules (and the
platform's courses they name), and reading what the running beat and worker did (beat's log, the
run history in the database, the report files, the e-mails).

For the fault scenarios: starting beats and workers of their own, finding and killing processes
and their database sessions (through /proc), a private Redis to stop and start, and checking
the platform's task rows against the run history: one submission per course and due time.
"""

import collections
import contextlib
import datetime
import email
import email.policy
import fcntl
import os
import re
import signal
import subprocess
import tempfile
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo import processes
from demo.processes import wait_for
from demo.run import free_port, port_in_use
from periodic_instructor_reports import states
from periodic_instructor_reports.states import RunStatus
from tests.separate_tree import unavailable

DATABASE_SERVICES = {"postgres": "PostgreSQL", "mysql": "MariaDB/MySQL"}
DRIVERS = {"redis": "redis", "postgres": "psycopg", "mysql": "MySQLdb"}
# Long enough for any condition the scenarios wait for on a slow, busy CI machine.
DEADLINE = 60
SETTINGS = "tests.integration.settings"
# Seconds between follow-up jobs while a module runs processes of its own (``own_processes``).
FOLLOW_UP_EVERY = 2


def require_services(kind):
    """Skip (fail under CI) unless Redis, the ``kind`` database server and their drivers are there."""
    from django.conf import settings

    if kind not in DATABASE_SERVICES:
        pytest.fail(f"PIR_IT_DB={kind!r}: use postgres or mysql")
    broker = urlsplit(settings.BROKER_URL)
    database = settings.DATABASES["default"]
    for name, host, port in (
        ("Redis", broker.hostname, broker.port or 6379),
        (DATABASE_SERVICES[kind], database["HOST"], int(database["PORT"])),
    ):
        if not port_in_use(port, host):
            unavailable(f"{name} is not running on {host}:{port}")
    for module in (DRIVERS["redis"], DRIVERS[kind]):
        try:
            import_module(module)
        except ImportError:
            unavailable(f"the Python module {module} is not installed (pip install -r requirements/ci.txt)")


@contextlib.contextmanager
def one_run_at_a_time(timeout=1800):
    """
    Hold a machine-wide lock for the whole run.

    Every run uses the same database name and Redis database and empties them: two runs at once
    on one machine would drop each other's database.
    """
    path = os.path.join(tempfile.gettempdir(), "pir-integration.lock")
    with open(path, "w", encoding="utf-8") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another integration run held {path} for {timeout} s")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _server_connection(kind):
    from django.conf import settings

    config = settings.DATABASES["default"]
    if kind == "postgres":
        import psycopg

        return psycopg.connect(
            host=config["HOST"], port=config["PORT"], user=config["USER"], password=config["PASSWORD"],
            dbname="postgres", autocommit=True,
        )
    import MySQLdb

    return MySQLdb.connect(
        host=config["HOST"], port=int(config["PORT"]), user=config["USER"], password=config["PASSWORD"]
    )


def _execute_on_server(kind, statement):
    connection = _server_connection(kind)
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


def recreate_database(kind):
    """Drop the suite's database if a crashed run left it, and create it empty."""
    from django.conf import settings

    drop_database(kind)
    charset = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if kind == "mysql" else ""
    _execute_on_server(kind, f"CREATE DATABASE {settings.DATABASES['default']['NAME']}{charset}")


def drop_database(kind):
    """Drop the suite's database, closing other sessions on it (PostgreSQL)."""
    from django.conf import settings

    force = " WITH (FORCE)" if kind == "postgres" else ""
    _execute_on_server(kind, f"DROP DATABASE IF EXISTS {settings.DATABASES['default']['NAME']}{force}")


WORKER_READY = " ready."
BEAT_STARTED = "beat: Starting..."


def start_processes(children, *, kind, workers=(), beats=(), concurrency=2):
    """
    Start celery workers and beats as named children and wait until each is up.

    Each worker is its own celery node (``<name>-<kind>@host``); each beat uses the database
    scheduler. A child restarted under a name it had before appends to its log.
    """
    seen = {name: children.log(name).count(WORKER_READY) for name in workers}
    seen.update({name: children.log(name).count(BEAT_STARTED) for name in beats})
    for name in workers:
        children.start(name, processes.worker_command(name=f"{name}-{kind}@%h", concurrency=concurrency))
    for name in beats:
        children.start(name, processes.beat_command())
    for name in workers:
        wait_for(lambda name=name: children.log(name).count(WORKER_READY) > seen[name], timeout=DEADLINE,
                 what=f"the worker {name} to be ready", children=children)
    for name in beats:
        wait_for(lambda name=name: children.log(name).count(BEAT_STARTED) > seen[name], timeout=DEADLINE,
                 what=f"the beat {name} to start", children=children)


class Stack:
    """The running beat and worker, and what they leave behind."""

    SEND = re.compile(r"Sending due task (\S+) ")

    def __init__(self, children, reports_dir, redis_client, kind):
        self.children = children
        self.reports_dir = Path(reports_dir)
        self.redis = redis_client
        self.kind = kind

    def start(self):
        """Start the suite's worker and beat and wait until both are up."""
        start_processes(self.children, kind=self.kind, workers=["worker"], beats=["beat"])

    @contextlib.contextmanager
    def paused(self):
        """
        Stop the suite's beat and worker meanwhile, then start them again.

        For scenarios that start, kill and restart processes of their own: the suite's beat would
        fire their schedules too, and its worker would take their messages.
        """
        self.children.stop()
        try:
            yield
        finally:
            self.start()

    def wait(self, condition, what, timeout=DEADLINE):
        """Poll ``condition`` until true (returning its value); fail if a process died."""
        return wait_for(condition, timeout=timeout, what=what, children=self.children)

    def files(self, folder, pattern="*.csv"):
        """Return the names of report files in ``folder`` (relative to the reports folder)."""
        return sorted(path.name for path in (self.reports_dir / folder).glob(pattern))

    def sends_of(self, row_name):
        """Return how many times beat sent the beat row ``row_name``, from beat's log."""
        return sum(1 for found in self.SEND.findall(self.children.log("beat")) if found == row_name)

    def wait_quiet(self, row_name, window, timeout=DEADLINE):
        """
        Wait until beat has not sent the beat row ``row_name`` for ``window`` seconds.

        A schedule that beat still fires every few seconds never gets that quiet, so this
        fails when beat did not pick up a pause or a delete.
        """
        state = {"count": None, "since": time.monotonic()}

        def quiet():
            count = self.sends_of(row_name)
            if count != state["count"]:
                state["count"], state["since"] = count, time.monotonic()
            return time.monotonic() - state["since"] >= window

        self.wait(quiet, f"beat to stop sending {row_name} for {window} s", timeout=timeout)
        return state["count"]


# -- schedules, as a staff member makes them, for courses the platform has ---------------------------

# Outcomes of a course whose report the platform queued: submitted (still being generated), then
# generated, report_failed or lost once the follow-up job followed it to its end.
QUEUED = ("submitted", "generated", "report_failed", "lost")


def make_courses(course_ids):
    """Give the platform (the stand-in's ``CourseOverview``, and CCX rows) every course of ``course_ids``."""
    from tests import factories

    for course_id in course_ids:
        factories.course(course_id)


def create_schedule(owner, **fields):
    """
    Create a schedule through the api as ``owner`` (who becomes its owner), for courses the platform has.

    ``name`` defaults to the api's (the report's name, numbered).
    """
    from periodic_instructor_reports import api

    make_courses(fields.get("course_ids") or [])
    return api.create_schedule(acting_user=owner, **fields)


def runs(schedule, **filters):
    """Return the runs of ``schedule`` (the run history users see), oldest due time first."""
    from periodic_instructor_reports.models import ReportRun

    return ReportRun.objects.filter(schedule=schedule, **filters).order_by("planned_at", "pk")


def course_rows(schedule, **filters):
    """Return the course rows of the runs of ``schedule``."""
    from periodic_instructor_reports.models import ReportRunCourse

    return ReportRunCourse.objects.filter(run__schedule=schedule, **filters)


def submitted_runs(schedule):
    """Return how many runs of ``schedule`` had a report queued by the platform (whatever became of it)."""
    return runs(schedule, courses__outcome__in=QUEUED).distinct().count()


def done_runs(schedule, *, courses):
    """Return the runs of ``schedule`` that are done with every one of ``courses`` generated."""
    return [run for run in runs(schedule, status="done") if run.counts == {"generated": len(courses)}]


def mails():
    """
    Return the e-mails the beat, worker and commands sent, oldest first (``email.message.EmailMessage``,
    headers unfolded).

    The integration settings use Django's file e-mail backend: each connection writes its messages
    to a file of ``EMAIL_FILE_PATH``, each followed by a line of 79 dashes.
    """
    from django.conf import settings

    found = []
    for path in sorted(Path(settings.EMAIL_FILE_PATH).glob("*.log"), key=lambda path: path.stat().st_mtime):
        for text in path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if text.strip():
                found.append(email.message_from_string(text, policy=email.policy.default))
    return found


def mail_text(message):
    """Return the text of a plain e-mail (its one part, decoded)."""
    return message.get_content()


def reports_location():
    """Return the folder of the report store (the platform's ``GRADES_DOWNLOAD`` storage)."""
    from django.conf import settings

    return Path(settings.GRADES_DOWNLOAD["STORAGE_KWARGS"]["location"])


def assert_files_recorded(rows, reports_dir=None):
    """
    Check the report file recorded on each generated course row: it is in the report store, with
    the recorded name and size, named after the course's report, and no two rows share a file.
    """
    reports_dir = reports_dir or reports_location()
    for row in rows:
        assert (row.outcome, bool(row.file_path)) == ("generated", True), (
            row.course_id, row.outcome, row.error)
    paths = [row.file_path for row in rows]
    assert len(set(paths)) == len(paths), "two course rows name one file"
    for row in rows:
        path = Path(reports_dir) / row.file_path
        assert path.is_file(), (row.course_id, row.file_path)
        assert (os.path.basename(row.file_path), path.stat().st_size) == (row.file_name, row.file_size), (
            row.course_id, row.file_path, row.file_name, row.file_size)
        assert row.file_name.startswith(row.expected_name + "_"), (row.expected_name, row.file_name)
        if row.upload_parent_dir:
            assert os.path.dirname(row.file_path) == row.upload_parent_dir.rstrip("/"), (
                row.file_path, row.upload_parent_dir)


@contextlib.contextmanager
def follow_up(*, every=None, enabled=True):
    """
    Run the plugin's follow-up job every ``every`` seconds (or not at all) meanwhile.

    Its beat row is created if no run has created it yet, then moved or disabled as an operator
    may, and put back afterwards; beat picks up both changes.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from periodic_instructor_reports import housekeeping

    housekeeping.ensure_job_rows()
    row = PeriodicTask.objects.get(name=housekeeping.FOLLOW_UP_BEAT_ROW)
    before = row.interval, row.enabled
    if every is not None:
        row.interval = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.SECONDS)[0]
    row.enabled = enabled
    row.save()
    try:
        yield row
    finally:
        row.refresh_from_db()
        row.interval, row.enabled = before
        row.save()


@contextlib.contextmanager
def reports_held():
    """
    Hold grade and problem grade reports in the ``edx.lms.core.high_mem`` queue meanwhile, as a busy
    report worker would: the suite's worker stops consuming that queue (Celery's remote control).
    """
    from lms.celery import APP
    from lms.djangoapps.instructor_task.api_helper import HIGH_MEM_QUEUE

    replies = APP.control.cancel_consumer(HIGH_MEM_QUEUE, reply=True, timeout=10, limit=1)
    assert replies, "the worker did not answer the remote control command"
    try:
        yield
    finally:
        APP.control.add_consumer(HIGH_MEM_QUEUE, reply=True, timeout=10, limit=1)


def due_in(schedule, seconds):
    """
    Move the grid of an hourly ``schedule`` so a due time comes ``seconds`` from now (negative:
    one passed that long ago), and its beat row with it: beat fires it then, and once an hour after.
    """
    return due_together([schedule], seconds)


def due_together(schedules, seconds):
    """``due_in`` for several hourly schedules at once: a due time of each comes at one moment."""
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from periodic_instructor_reports.models import PeriodicReportSchedule

    anchor = timezone.now() - datetime.timedelta(hours=1) + datetime.timedelta(seconds=seconds)
    for schedule in schedules:
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=anchor)
        row = PeriodicTask.objects.get(pk=schedule.celery_task_id)
        row.last_run_at = anchor
        row.save()
        schedule.refresh_from_db()
    return anchor + datetime.timedelta(hours=1)


def course_ids(suite, name, count):
    """Return ``count`` course ids of the scenario ``name`` of ``suite`` (each has courses of its own)."""
    return [f"course-v1:{suite}+{name}{number:03d}+2026" for number in range(count)]


# -- processes: found, killed and their sockets read through /proc (Linux) -------------------------

def child_pids(pid):
    """Return the pids of the live processes whose parent is ``pid`` (celery's pool processes)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after its last ')' are fixed.
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state != "Z":
            found.append(int(entry))
    return sorted(found)


def kill_group(process):
    """SIGKILL a child and everything in its process group (a whole worker: main and pool); reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def tcp_ports(pids):
    """Return the local ports of the TCP sockets the processes ``pids`` hold open."""
    inodes = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def kill_database_sessions(kind, client_ports):
    """
    Kill the sessions on the suite's own database whose client uses one of ``client_ports``.

    PostgreSQL: ``pg_terminate_backend``; MariaDB/MySQL: ``KILL``. Only sessions on the suite's
    database (``pir_integration``) are looked at. Returns how many were killed.
    """
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    connection = _server_connection(kind)
    try:
        cursor = connection.cursor()
        if kind == "postgres":
            cursor.execute("SELECT pid, client_port FROM pg_stat_activity WHERE datname = %s", [name])
            targets = [pid for pid, port in cursor.fetchall() if port in client_ports]
            for pid in targets:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        else:
            cursor.execute("SELECT id, host FROM information_schema.processlist WHERE db = %s", [name])
            targets = [
                session for session, host in cursor.fetchall()
                if ":" in host and int(host.rsplit(":", 1)[1]) in client_ports
            ]
            for session in targets:
                with contextlib.suppress(Exception):  # it may have ended meanwhile
                    cursor.execute(f"KILL {int(session)}")
    finally:
        connection.close()
    return len(targets)


class PrivateRedis:
    """A redis-server of the scenario's own on a free port, without persistence, to stop and start."""

    def __init__(self, log_dir):
        self.port = free_port()
        self.log_path = Path(log_dir) / f"redis-{self.port}.log"
        self.process = None

    @property
    def url(self):
        """Return the URL of its database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        """Start it (again, on the same port; empty) and wait until it accepts connections."""
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for(lambda: port_in_use(self.port), timeout=DEADLINE, what=f"redis-server on port {self.port}")

    def stop(self):
        """Stop it (its queued messages are lost: nothing is saved) and wait until the port is free."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        wait_for(lambda: not port_in_use(self.port), timeout=DEADLINE, what=f"port {self.port} to be free")


# -- what the platform recorded: one submission per course and due time ----------------------------

def platform_rows(courses, *, task_type):
    """
    Return the stand-in's ``InstructorTask`` rows of ``courses`` and ``task_type``, split in two.

    ``(queued, refused)``: rows of submissions the platform handed to Celery, and rows of
    submissions whose Celery message could not be sent (the platform marks those FAILURE with
    the broker's error as output, and raises ``QueueConnectionError``).
    """
    from lms.djangoapps.instructor_task.models import InstructorTask

    rows = list(InstructorTask.objects.filter(course_id__in=courses, task_type=task_type).order_by("pk"))
    refused = [
        row for row in rows if row.task_state == "FAILURE" and not (row.task_output or "").startswith("{")
    ]
    return [row for row in rows if row not in refused], refused


def wait_until_submitted(children, courses, *, task_type, at_least, timeout=DEADLINE):
    """Wait until the platform has at least ``at_least`` submissions of ``courses``; return them."""

    def enough():
        queued, _ = platform_rows(courses, task_type=task_type)
        return queued if len(queued) >= at_least else None

    return wait_for(enough, timeout=timeout, what=f"{at_least} submissions of the scenario's courses",
                    children=children)


def wait_until_settled(children, schedule, *, runs_at_least=1, timeout=DEADLINE):
    """
    Wait until the schedule has at least ``runs_at_least`` runs and each has ended: none is running
    or retrying, nor generating (the follow-up job has followed every report to its end).
    """

    def settled():
        found = list(runs(schedule))
        unfinished = [
            run for run in found if run.status in (*states.UNFINISHED, RunStatus.GENERATING)
        ]
        return found if len(found) >= runs_at_least and not unfinished else None

    try:
        return wait_for(settled, timeout=timeout, what=f"the runs of schedule {schedule.pk} to finish",
                        children=children)
    except TimeoutError as err:
        state = [(run.pk, run.status, run.counts, run.error) for run in runs(schedule)]
        raise TimeoutError(f"{err}; its runs (id, status, counts, error): {state}") from err


def assert_once_per_due_time(schedule, courses, *, task_type, reports_dir=None, lost_ok=False):
    """
    Check what the platform recorded against the run history; return ``(runs, queued, refused)``.

    - no run of the schedule is left ``running``, ``retrying`` or ``generating``, every run is for
      its own due time and ended ``done`` with every course's report generated, its file in the
      report store with the recorded size;
    - the platform has exactly one queued submission of each course per run (due time), made
      while that run was under way, and each is the one the run recorded for the course.

    With ``lost_ok`` a course may instead be ``lost``, only if its platform task never ended: the
    fault took its report's message with it (a killed worker's prefetched messages come back only
    after Redis's visibility timeout, an hour; a stopped Redis loses what it held).
    """
    from periodic_instructor_reports.models import ReportRunCourse

    found = list(runs(schedule))
    assert found, f"schedule {schedule.pk} never ran"
    assert not [run.pk for run in found if run.status in states.UNFINISHED], [
        (run.pk, run.status) for run in found]
    assert len({run.planned_at for run in found}) == len(found), [run.planned_at for run in found]
    for run in found:
        counts = dict(run.counts)
        lost = counts.pop("lost", 0) if lost_ok else 0
        assert (run.status, counts) == ("done", {"generated": len(courses) - lost}), (
            run.pk, run.status, run.counts, run.error)

    queued, refused = platform_rows(courses, task_type=task_type)
    per_course = collections.Counter(str(row.course_id) for row in queued)
    twice = {course: n for course, n in per_course.items() if n != len(found)}
    assert set(per_course) == set(courses) and not twice, (
        f"submissions per course (expected {len(found)} each, one per due time): {twice or per_course}")

    course_rows = list(ReportRunCourse.objects.filter(run__in=found).select_related("run"))
    recorded = {row.task_id: row for row in course_rows}
    assert len(recorded) == len(found) * len(courses), "two course rows name one platform task"
    assert {row.task_id for row in queued} == set(recorded), "platform tasks and recorded tasks differ"
    for task in queued:
        course_row = recorded[task.task_id]
        assert str(task.course_id) == course_row.course_id
        expected_state = ("QUEUING", "PROGRESS") if course_row.outcome == "lost" else ("SUCCESS",)
        assert task.task_state in expected_state, (task.course_id, course_row.outcome, task.task_state)
        assert course_row.run.started_at <= task.created <= course_row.run.finished_at, (
            task.course_id, task.created, course_row.run.started_at, course_row.run.finished_at)
    lost = [row for row in course_rows if row.outcome == "lost"]
    assert_files_recorded([row for row in course_rows if row not in lost], reports_dir)
    if lost:
        print(f"\nreports whose message the fault took (recorded lost): {len(lost)}")
    return found, queued, refused
