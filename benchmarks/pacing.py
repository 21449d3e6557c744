"""
Print how the cap on the plugin's reports in flight keeps the platform's report queue fair.

A grade report schedule of many courses runs while an instructor of another course asks the
instructor dashboard for a grade report. The platform stand-in runs as real workers: one Celery
worker of N processes (``--workers``) consumes the platform's report queue on Redis, first in,
first out, and each report stays PROGRESS ``--report-seconds`` (``STAND_IN_REPORT_SECONDS``).
Two other workers of one process each run the plugin's dispatcher (the LMS's default queue),
with ``MAX_IN_FLIGHT`` set to each ``--caps`` value (0: off) and ``PACE_SECONDS``
(``--pace-seconds``). For each database and cap:

1. dashboard wait: from the dashboard's ``submit_calculate_grades_csv`` (``--dashboard-after``
   seconds after the schedule's run was queued) until its platform task row goes PROGRESS;
2. last file: from queueing the run (as beat or "run now" does) until its last report file is
   written;
3. most in flight: the most of the plugin's reports whose platform task row was QUEUING or
   PROGRESS at once, sampled every 0.1 s, while that schedule runs, then while the two
   dispatcher workers run two schedules of half the courses each at once (capped runs only).
   Counted from the platform's rows (every row but the dashboard course's), and as the plugin
   counts them (``runs.pacing.in_flight_by_run``).

Ratios are against the uncapped run (cap 0) in the same process. Each database runs in a process
of its own (``--one``), on a database (``--db-name``) and Redis database (``--redis``) of the
benchmark's own: created and emptied at its start, dropped and emptied at its end. With
``--check`` (``make bench-check``) it exits non-zero when the plugin's reports in flight ever
exceeded the cap, or the dashboard report waited longer than ``dashboard_bound``.

    python benchmarks/pacing.py [--db postgres --db mysql] [--courses 500] [--workers 2]
        [--report-seconds 0.5] [--pace-seconds 0.1] [--caps 0 2 4] [--check]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo import processes  # noqa: E402  (the repository on the path first)

SETTINGS = "tests.integration.settings"
DASHBOARD_COURSE = "course-v1:Dashboard+D1+2026"
DATABASES = {"postgres": "PostgreSQL", "mysql": "MariaDB"}
SAMPLE_SECONDS = 0.1
# The platform's queue of grade reports (the stand-in's, as the LMS routes them) and the dispatcher's.
REPORT_QUEUE = "edx.lms.core.high_mem"
DISPATCH_QUEUE = "edx.lms.core.default"


def parse(argv):
    """Return the command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", choices=sorted(DATABASES),
                        help="database to measure on (repeatable; default postgres and mysql)")
    parser.add_argument("--courses", type=int, default=500, help="courses of the schedule")
    parser.add_argument("--workers", type=int, default=2, help="processes of the report worker (N)")
    parser.add_argument("--report-seconds", type=float, default=0.5, help="seconds each report takes")
    parser.add_argument("--pace-seconds", type=float, default=0.1,
                        help="PACE_SECONDS: how long a run waiting for a slot waits before it looks again")
    parser.add_argument("--caps", type=int, nargs="+", help="MAX_IN_FLIGHT values (default 0, N and 2N)")
    parser.add_argument("--dashboard-after", type=float, default=3.0,
                        help="seconds after the run is queued that the dashboard report is submitted")
    parser.add_argument("--db-name", default="pir_bench_pacing",
                        help="database the benchmark creates and drops")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7",
                        help="Redis database it uses and empties")
    parser.add_argument("--check", action="store_true",
                        help="exit non-zero when the cap was exceeded or the dashboard waited too long")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.caps is None:
        options.caps = [0, options.workers, 2 * options.workers]
    return options


def dashboard_bound(cap, workers, report_seconds):
    """
    Return the most seconds a dashboard report may wait behind a capped schedule.

    At most ``cap`` of the plugin's reports are ahead of it, ``workers`` at a time:
    ``ceil(cap / workers)`` report durations. Plus two durations of jitter: a pool process
    that took a report just before the dashboard's was queued, and a slot freed at the instant
    of the submission (the dispatcher may queue its report first); plus one second for Celery's
    hand-over and the database on a busy two-core CI machine.
    """
    return (math.ceil(cap / workers) + 2) * report_seconds + 1.0


def machine():
    """Return ``(CPU count, CPU model)`` of this machine."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return os.cpu_count(), model


def main(argv=None):
    """Measure each database in a child process, print the table, and in ``--check`` judge it."""
    options = parse(argv)
    if options.one:
        return measure_one(options)
    rows, failed = [], []
    for db in options.db or ["postgres", "mysql"]:
        with tempfile.TemporaryDirectory(prefix="pir-bench-pacing-") as scratch:
            env = processes.project_env(
                SETTINGS, PIR_IT_DB=db, PIR_IT_DB_NAME=options.db_name, PIR_IT_REDIS_URL=options.redis,
                PIR_IT_REPORTS_DIR=os.path.join(scratch, "reports"),
                PIR_IT_MAIL_DIR=os.path.join(scratch, "mail"),
                PIR_IT_REPORT_SECONDS=options.report_seconds, PIR_IT_PACE_SECONDS=options.pace_seconds,
                PIR_BENCH_LOGS=os.path.join(scratch, "logs"),
            )
            command = [sys.executable, os.path.abspath(__file__), "--one", db, *passed_on(argv)]
            done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
        rows += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode:
            failed.append(f"{DATABASES[db]}: the measurement stopped (exit code {done.returncode})")
    print_table(options, rows)
    if options.check:
        failed += check(rows)
        print("\n" + ("\n".join(f"FAILED: {line}" for line in failed) if failed else "pacing check passed"))
    elif failed:
        print("\n".join(failed), file=sys.stderr)
    return 1 if failed else 0


def passed_on(argv):
    """Return the options to pass to the child process: all but ``--db`` and ``--check``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--db":
            skip = True
        elif not (arg.startswith("--db=") or arg == "--check"):
            kept.append(arg)
    return kept


def check(rows):
    """Return what broke the bounds: the cap exceeded, the dashboard waiting too long, a vacuous run."""
    failed = []
    for row in rows:
        cap, where = row["cap"], f"{row['database']}, cap {row['cap']}"
        if not cap:
            continue
        for key, what in (("most_one", "one schedule"), ("most_two", "two schedules")):
            if row[key] is not None and row[key] > cap:
                failed.append(f"{where}: {row[key]} of the plugin's reports in flight at once ({what})")
        if row["dashboard_wait_s"] > row["dashboard_bound_s"]:
            failed.append(f"{where}: the dashboard report waited {row['dashboard_wait_s']:.2f} s, "
                          f"more than {row['dashboard_bound_s']:.2f} s")
        if not row["left_at_dashboard"]:
            failed.append(f"{where}: the schedule had ended before the dashboard report was submitted: "
                          "lower --dashboard-after or raise --courses")
    return failed


def print_table(options, rows):
    """Print the machine, the settings and the figures (Markdown, as the README shows them)."""
    cpus, model = machine()
    print(f"\nmachine: {cpus} CPUs, {model}; report worker: N = {options.workers} processes; "
          f"each report {options.report_seconds:g} s; PACE_SECONDS {options.pace_seconds:g}; "
          f"{options.courses:,} courses (two schedules of {options.courses // 2:,} for the last column)")
    for version in sorted({row["server"] for row in rows}):
        print(f"database server: {version}")
    print("\n| database | cap | dashboard wait s | in report durations | vs uncapped "
          "| plugin's reports in flight / left at submission | last file s | vs uncapped "
          "| most in flight, 1 schedule | most in flight, 2 schedules and 2 dispatchers |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    baselines = {row["database"]: row for row in rows if row["cap"] == 0}
    for row in rows:
        base = baselines.get(row["database"])
        wait_ratio = ratio(row["dashboard_wait_s"], base and base["dashboard_wait_s"])
        file_ratio = ratio(row["last_file_s"], base and base["last_file_s"])
        two = "—" if row["most_two"] is None else f"{row['most_two']} ({row['most_two_recorded']})"
        print(f"| {row['database']} | {row['cap'] or 'off'} | {row['dashboard_wait_s']:.2f} "
              f"| {row['dashboard_wait_s'] / options.report_seconds:.1f} | {wait_ratio} "
              f"| {row.get('ahead_at_dashboard', '?')} / {row['left_at_dashboard']} "
              f"| {row['last_file_s']:.1f} | {file_ratio} "
              f"| {row['most_one']} ({row['most_one_recorded']}) | {two} |")
    print("\nmost in flight: from the platform's task rows (as the plugin counts them, in_flight_by_run); "
          "ratios against the uncapped run on the same database in the same process.")
    for row in rows:
        if row["cap"]:
            print(f"{row['database']}, cap {row['cap']}: dashboard bound {row['dashboard_bound_s']:.2f} s; "
                  f"dispatch tasks done by each dispatcher worker {row['dispatch_tasks']}; "
                  f"the runs' pacing figures {row['pacing']} (one schedule), {row['pacing_two']} (two)")
    loads = ", ".join(f"{row['load']:.1f}" for row in rows)
    print(f"load average (1 min) at the end of each row: {loads}")


def ratio(value, base):
    return f"{value / base:.2f}x" if base else "—"


def emit(**row):
    """Hand one measured row to the parent process."""
    print(json.dumps(row), flush=True)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def measure_one(options):
    """Measure on the database this process was started for; drop it and empty Redis after."""
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from tests.integration import harness

    kind = options.one
    broker = redis.Redis.from_url(settings.BROKER_URL)
    harness.recreate_database(kind)
    broker.flushdb()
    try:
        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0]
        # PostgreSQL's version() is a sentence ("PostgreSQL 15.2 on x86_64..."), MariaDB's a number.
        server = " ".join(version.split()[:2]) if kind == "postgres" else f"MariaDB {version}"
        Bench(kind, server, options).run()
    finally:
        connections.close_all()
        broker.flushdb()
        harness.drop_database(kind)
    return 0


class Bench:
    """The measurements on one database: the report worker runs throughout, the dispatchers per cap."""

    def __init__(self, kind, server, options):
        from common.djangoapps.student.models import CourseAccessRole
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import RequestFactory
        from django_celery_beat.models import IntervalSchedule
        from opaque_keys.edx.keys import CourseKey

        from periodic_instructor_reports import api, catalog
        from periodic_instructor_reports.models import PeriodicReportTask

        self.kind, self.server, self.options = kind, server, options
        self.log_dir = Path(os.environ["PIR_BENCH_LOGS"])
        self.reports_dir = Path(settings.GRADES_DOWNLOAD["STORAGE_KWARGS"]["location"])
        users = get_user_model().objects
        self.owner = users.create_user("bench-owner", "owner@example.com", is_staff=True, is_superuser=True)
        self.task = PeriodicReportTask.objects.filter(path=catalog.GRADE_REPORT).first()
        if self.task is None:
            self.task = api.create_report_task(acting_user=self.owner, name="Grade report",
                                               path=catalog.GRADE_REPORT, requires_request=True)
        self.interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
        self.course_ids = make_courses(options.courses)
        self.dashboard_key = CourseKey.from_string(DASHBOARD_COURSE)
        make_course(DASHBOARD_COURSE)
        instructor = users.create_user("dashboard-instructor", "instructor@example.com")
        CourseAccessRole.objects.create(user=instructor, org=self.dashboard_key.org,
                                        course_id=self.dashboard_key, role="instructor")
        self.request = RequestFactory().post(
            f"/courses/{DASHBOARD_COURSE}/instructor/api/calculate_grades_csv")
        self.request.user = instructor
        self.schedules = 0
        self.pool = None

    def run(self):
        self.pool = processes.Children(self.log_dir / "pool", processes.project_env(SETTINGS))
        try:
            start_worker(self.pool, "reports", queue=REPORT_QUEUE, concurrency=self.options.workers)
            for cap in self.options.caps:
                self.measure(cap)
        finally:
            self.pool.stop()

    def measure(self, cap):
        """Measure one cap with two dispatcher workers started for it."""
        dispatchers = processes.Children(self.log_dir / f"cap-{cap}",
                                         processes.project_env(SETTINGS, PIR_IT_MAX_IN_FLIGHT=cap))
        try:
            for name in ("dispatcher-1", "dispatcher-2"):
                # One message at a time each, so two runs queued at once go to both.
                start_worker(dispatchers, name, queue=DISPATCH_QUEUE, concurrency=1,
                             extra=["--prefetch-multiplier", "1"])
            one = self.one_schedule(cap, dispatchers)
            two = self.two_schedules(cap, dispatchers) if cap else None
            tasks = [dispatched(dispatchers.log(name)) for name in ("dispatcher-1", "dispatcher-2")]
        finally:
            dispatchers.stop()
        bound = dashboard_bound(cap, self.options.workers, self.options.report_seconds)
        emit(database=DATABASES[self.kind], server=self.server, cap=cap, **one, dashboard_bound_s=bound,
             most_two=two and two["most"], most_two_recorded=two and two["recorded"], dispatch_tasks=tasks,
             pacing_two=two and two["pacing"], load=os.getloadavg()[0])

    def schedule(self, course_ids):
        from periodic_instructor_reports import api

        self.schedules += 1
        return api.create_schedule(
            acting_user=self.owner, task=self.task, owner=self.owner, interval=self.interval,
            course_ids=course_ids, upload_folder_structure="flat",
            upload_folder_prefix=f"bench-{self.schedules}",
        )

    def one_schedule(self, cap, children):
        """Run the schedule with the dashboard report submitted meanwhile; return figures 1 to 3."""
        from lms.djangoapps.instructor_task.api import submit_calculate_grades_csv

        from periodic_instructor_reports import api

        schedule = self.schedule(self.course_ids)
        sampler = Sampler(self.dashboard_key)
        queued_at = time.time()
        api.run_schedules_now([schedule], acting_user=self.owner)
        dashboard = started_at = None
        waiting = "the schedule and the dashboard report to end"
        for now in sampler.ticks(self.timeout(cap), (self.pool, children), waiting):
            if dashboard is None and now - queued_at >= self.options.dashboard_after:
                left, ahead = sampler.left([schedule], len(self.course_ids)), sampler.flying
                submitted_at = time.time()
                dashboard = submit_calculate_grades_csv(self.request, self.dashboard_key)
            if dashboard is not None and started_at is None:
                started_at = sampler.started(dashboard, submitted_at)
            if started_at and sampler.ended([schedule], len(self.course_ids)) and sampler.finished(dashboard):
                break
        last = self.last_file(schedule, len(self.course_ids))
        wait = started_at - submitted_at
        progress(f"{self.kind} cap {cap}: dashboard waited {wait:.2f} s ({ahead} of the plugin's reports in "
                 f"flight, {left} of the schedule's left); last file "
                 f"after {last - queued_at:.1f} s; most in flight {sampler.most} ({sampler.recorded})")
        return {"dashboard_wait_s": wait, "left_at_dashboard": left, "ahead_at_dashboard": ahead,
                "last_file_s": last - queued_at,
                "most_one": sampler.most, "most_one_recorded": sampler.recorded,
                "pacing": run_pacing(schedule)}

    def two_schedules(self, cap, children):
        """Run two schedules of half the courses each at once; return the most in flight seen."""
        from periodic_instructor_reports import api

        half = len(self.course_ids) // 2
        schedules = [self.schedule(self.course_ids[:half]), self.schedule(self.course_ids[half:2 * half])]
        sampler = Sampler(self.dashboard_key)
        api.run_schedules_now(schedules, acting_user=self.owner)
        for _now in sampler.ticks(self.timeout(cap), (self.pool, children), "the two schedules to end"):
            if sampler.ended(schedules, 2 * half):
                break
        progress(f"{self.kind} cap {cap}, two schedules: most in flight {sampler.most} ({sampler.recorded})")
        return {"most": sampler.most, "recorded": sampler.recorded,
                "pacing": [run_pacing(schedule) for schedule in schedules]}

    def timeout(self, cap):
        """Seconds a schedule may take before it is taken to never end: three times what it should."""
        options, courses = self.options, len(self.course_ids)
        paced = courses * options.pace_seconds / cap if cap else 0
        return 60 + 3 * (courses * options.report_seconds / options.workers + paced)

    def last_file(self, schedule, count):
        """Return when the schedule's last report file was written (its files are in their own folder)."""
        folder = self.reports_dir / schedule.upload_folder_prefix
        files = [path for path in folder.rglob("*") if path.is_file()]
        if len(files) < count:
            raise RuntimeError(f"schedule {schedule.pk}: {len(files)} report files, not {count}")
        return max(path.stat().st_mtime for path in files)


class Sampler:
    """The platform's task rows and the plugin's runs, looked at every 0.1 s."""

    def __init__(self, dashboard_key):
        self.dashboard_key = dashboard_key
        self.most = self.recorded = self.flying = 0

    def ticks(self, timeout, children, what):
        """Yield the time every 0.1 s after a sample of reports in flight; raise after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tick = time.monotonic()
            self.sample()
            for group in children:
                group.check_alive()
            yield time.time()
            time.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - tick)))
        raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}; the runs: {runs_state()}")

    def sample(self):
        from lms.djangoapps.instructor_task.models import InstructorTask

        from periodic_instructor_reports.runs import pacing

        self.flying = InstructorTask.objects.filter(task_state__in=pacing.IN_FLIGHT_STATES).exclude(
            course_id=self.dashboard_key).count()
        self.most = max(self.most, self.flying)
        self.recorded = max(self.recorded, sum(pacing.in_flight_by_run().values()))

    @staticmethod
    def _ended_rows(schedules):
        from celery.states import READY_STATES
        from lms.djangoapps.instructor_task.models import InstructorTask

        from periodic_instructor_reports.models import ReportRunCourse

        task_ids = ReportRunCourse.objects.filter(run__schedule__in=schedules).values("task_id")
        return InstructorTask.objects.filter(task_id__in=task_ids, task_state__in=READY_STATES).count()

    def ended(self, schedules, count):
        """Return whether the schedules' ``count`` reports all ended."""
        return self._ended_rows(schedules) >= count

    def left(self, schedules, count):
        """Return how many of the schedules' ``count`` reports have not ended yet."""
        return count - self._ended_rows(schedules)

    @staticmethod
    def started(row, submitted_at):
        """Return when the dashboard's task row went PROGRESS (its ``updated``), or None while QUEUING."""
        row.refresh_from_db(fields=["task_state", "updated"])
        if row.task_state == "QUEUING":
            return None
        # Seen after it ended: it started at the latest now (never before it was submitted).
        return row.updated.timestamp() if row.task_state == "PROGRESS" else max(submitted_at, time.time())

    @staticmethod
    def finished(row):
        from celery.states import READY_STATES

        row.refresh_from_db(fields=["task_state"])
        return row.task_state in READY_STATES


def run_pacing(schedule):
    """Return the pacing figures the plugin recorded on the schedule's run."""
    from periodic_instructor_reports.models import ReportRun

    run = ReportRun.objects.filter(schedule=schedule).order_by("-pk").first()
    figures = (run and run.pacing) or {}
    return {key: figures[key] for key in ("waits", "waited_seconds", "most_in_flight") if key in figures}


def runs_state():
    from periodic_instructor_reports.models import ReportRun

    return [(run.pk, run.status, run.counts, run.error) for run in ReportRun.objects.order_by("pk")]


def dispatched(log):
    """Return how many of the plugin's dispatch tasks (starts and continuations) a worker's log shows done."""
    return sum(1 for line in log.splitlines()
               if "periodic_instructor_reports.tasks." in line and " succeeded in " in line)


def start_worker(children, name, *, queue, concurrency, extra=()):
    """Start a celery worker consuming ``queue`` with ``concurrency`` processes; wait until it is ready."""
    from tests.integration import harness

    command = processes.worker_command(name=f"bench-{name}@%h", concurrency=concurrency)
    command[command.index("-Q") + 1] = queue
    children.start(name, [*command, *extra])
    processes.wait_for(lambda: harness.WORKER_READY in children.log(name), timeout=harness.DEADLINE,
                       what=f"the worker {name} to be ready", children=children)


def make_courses(count):
    """Return ``count`` course ids, each a platform course (``CourseOverview``)."""
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    ids = [f"course-v1:Org{i % 100}+C{i}+2026" for i in range(count)]
    CourseOverview.objects.bulk_create(
        [CourseOverview(id=course_id, org=f"Org{i % 100}", display_name=f"Course {i}")
         for i, course_id in enumerate(ids)], batch_size=1000,
    )
    return ids


def make_course(course_id):
    from tests import factories

    factories.course(course_id)


if __name__ == "__main__":
    sys.exit(main())
