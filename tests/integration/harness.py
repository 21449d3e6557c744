"""
What the integration scenarios share: the services, the suite's database, and reading what the
running beat and worker did (beat's log, the run history in the database, the report files).
"""

import contextlib
import fcntl
import os
import re
import tempfile
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo import processes
from demo.processes import wait_for
from demo.run import port_in_use
from tests.separate_tree import unavailable

DATABASE_SERVICES = {"postgres": "PostgreSQL", "mysql": "MariaDB/MySQL"}
DRIVERS = {"redis": "redis", "postgres": "psycopg", "mysql": "MySQLdb"}
# Long enough for any condition the scenarios wait for on a slow, busy CI machine.
DEADLINE = 60
SETTINGS = "tests.integration.settings"


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


def runs(schedule, **filters):
    """Return the runs of ``schedule`` (the run history users see), oldest due time first."""
    from periodic_instructor_reports.models import ReportRun

    return ReportRun.objects.filter(schedule=schedule, **filters).order_by("planned_at", "pk")


def course_rows(schedule, **filters):
    """Return the course rows of the runs of ``schedule``."""
    from periodic_instructor_reports.models import ReportRunCourse

    return ReportRunCourse.objects.filter(run__schedule=schedule, **filters)


def submitted_runs(schedule):
    """Return how many runs of ``schedule`` submitted a report."""
    return runs(schedule, courses__outcome="submitted").distinct().count()


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

