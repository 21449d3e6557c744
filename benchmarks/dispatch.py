"""
Print what the plugin adds to the platform's own work when it runs a report for many courses.

For each database (PostgreSQL and MariaDB/MySQL by default) and course count:

* baseline: the platform's ``submit_calculate_grades_csv`` called for each course directly. Through
  the platform stand-in it does the LMS's per-course I/O: look for an unfinished task row, read
  the latest task id, insert one (in a savepoint), publish one message on Redis, and log the
  platform's warning line (logging is the LMS's, ``benchmarks/settings.py``);
* plugin: ``dispatch.run_schedule`` of a schedule of those courses: the same submissions, plus
  recording the run, its queue of courses and each course's outcome, folder and file name, and
  checking the owner's access and the folder.

Times are medians of interleaved repetitions (baseline then plugin, plugin then baseline, ...),
every platform task ended and the queue emptied between them; the ratio is plugin over
baseline. The plugin's own time is its run's less the time spent inside the platform's
function, as that function takes when nothing works beside it. The run has a thread beside it,
which stores a batch's rows while the next batch is submitted (ADR 0026): it takes the
interpreter's lock and a processor from the platform's calls made meanwhile. So each call notes
whether that thread worked during it, and the time those calls took above the mean of the
others is the plugin's own too (shown apart as well, with the thread's processor time).
Queries (the thread beside's too) are counted during one of each. Peak memory (tracemalloc) is
measured apart, at larger counts: the plugin recording a run, the plugin submitting, and the
baseline. Each database runs in a process of its own (``--one``); numbers compare runs on one machine,
never thresholds.

    python benchmarks/dispatch.py [--db postgres --db mysql] [--courses 1000 10000]
                                  [--memory 10000 50000] [--repeat 3]
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADES = "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
REPORT_TASK = "lms.djangoapps.instructor_task.tasks.calculate_grades_csv"
MIB = 1024 * 1024


def parse(argv):
    """Return the command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", choices=["postgres", "mysql", "sqlite"],
                        help="database to measure on (repeatable; default postgres and mysql)")
    parser.add_argument("--courses", type=int, nargs="*", default=[1000, 10000], help="timed course counts")
    parser.add_argument("--memory", type=int, nargs="*", default=[10000, 50000],
                        help="course counts whose peak memory is measured")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    """Measure each database in a child process, then print the tables."""
    options = parse(argv)
    if options.one:
        return measure_one(options)
    rows = []
    for db in options.db or ["postgres", "mysql"]:
        env = {**os.environ, "PIR_TEST_DB": db, "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
               "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, os.path.abspath(__file__), "--one", db, "--repeat", str(options.repeat),
                   "--courses", *map(str, options.courses), "--memory", *map(str, options.memory)]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
        rows += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    print_tables(rows)
    return 0


def print_tables(rows):
    """Print the time and memory tables (Markdown, as the README shows them)."""
    timed_rows = [row for row in rows if row["kind"] == "time"]
    if timed_rows:
        print("\n| database | courses | baseline s | plugin s | ratio | plugin's own s | own µs per course "
              "| of which platform's calls slowed beside | processor µs per course beside | own / baseline "
              "| queries per 1,000 courses (baseline / plugin) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in timed_rows:
        print(f"| {row['db']} | {row['courses']:,} | {row['baseline_s']:.2f} | {row['plugin_s']:.2f} "
              f"| {row['plugin_s'] / row['baseline_s']:.2f}x | {row['own_s']:.2f} "
              f"| {row['own_s'] * 1e6 / row['courses']:.0f} "
              f"| {row['slowed_s'] * 1e6 / row['courses']:.0f} "
              f"| {row['beside_s'] * 1e6 / row['courses']:.0f} "
              f"| {100 * row['own_s'] / row['baseline_s']:.1f}% "
              f"| {row['baseline_queries'] * 1000 / row['courses']:,.0f} / "
              f"{row['plugin_queries'] * 1000 / row['courses']:,.0f} |")
    memory_rows = [row for row in rows if row["kind"] == "memory"]
    if memory_rows:
        print("\n| database | courses | plugin peak MiB (recording the run) | plugin peak MiB (submitting) "
              "| baseline peak MiB |")
        print("|---|---:|---:|---:|---:|")
    for row in memory_rows:
        print(f"| {row['db']} | {row['courses']:,} | {row['record_peak'] / MIB:.1f} "
              f"| {row['submit_peak'] / MIB:.1f} | {row['baseline_peak'] / MIB:.1f} |")


def emit(**row):
    """Hand one measured row to the parent process."""
    print(json.dumps(row), flush=True)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def measure_one(options):
    """Measure on the database this process was started for."""
    import django

    django.setup()
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        Bench(options.one).run(options)
    finally:
        runner.teardown_databases(old)
    return 0


class Bench:
    """The measurements on one database."""

    def __init__(self, db):
        from django.contrib.auth import get_user_model
        from django_celery_beat.models import IntervalSchedule
        from lms.celery import APP

        from periodic_instructor_reports import api
        from periodic_instructor_reports.models import PeriodicReportTask

        self.db, self.app = db, APP
        self.owner = get_user_model().objects.create_user(
            "bench-owner", "owner@example.com", is_staff=True, is_superuser=True,
        )
        self.task = PeriodicReportTask.objects.filter(path=GRADES).first() or api.create_report_task(
            acting_user=self.owner, name="Grade report", path=GRADES,
        )
        self.interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
        self.courses = 0

    def run(self, options):
        for count in options.courses:
            self.time(count, options.repeat)
        for count in options.memory:
            self.memory(count)

    def course_ids(self, count):
        """Return ``count`` course ids, each a platform course (``CourseOverview``)."""
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        ids = [f"course-v1:Org{i % 100}+C{i}+2026" for i in range(count)]
        if count > self.courses:
            CourseOverview.objects.bulk_create(
                [CourseOverview(id=course_id, org=f"Org{i % 100}", display_name=f"Course {i}")
                 for i, course_id in enumerate(ids[self.courses:], start=self.courses)],
                batch_size=1000,
            )
            self.courses = count
        return ids

    def schedule(self, count):
        from periodic_instructor_reports import api

        return api.create_schedule(
            acting_user=self.owner, task=self.task, owner=self.owner, interval=self.interval,
            course_ids=self.course_ids(count), upload_folder_structure="by_date",
            upload_folder_prefix="bench",
        )

    def baseline(self, course_ids):
        """Submit the report of each course the way the instructor dashboard's button does."""
        from lms.djangoapps.instructor_task.api import submit_calculate_grades_csv
        from opaque_keys.edx.keys import CourseKey

        from periodic_instructor_reports.report_request import build_report_request

        request = build_report_request(self.owner)
        for course_id in course_ids:
            key = CourseKey.from_string(course_id)
            submit_calculate_grades_csv(request, key, upload_parent_dir="bench/x")

    def plugin(self, schedule, count, *, split=False, beside=None):
        """
        Run the schedule now; return the seconds its calls take without the thread beside the run.

        ``beside`` (a ``Beside``) adds up the processor time and queries of the run's thread beside it.

        With ``split``, return instead tracemalloc's peaks of recording the run and of submitting.
        """
        from lms.djangoapps.instructor_task import api as platform_api

        from periodic_instructor_reports.runs import dispatch, lease
        from periodic_instructor_reports.states import Trigger

        submit, beside = platform_api.submit_calculate_grades_csv, beside or Beside()

        @functools.wraps(submit)
        def timed_submit(*args, **kwargs):
            shifts, start = beside.shifts, time.perf_counter()
            try:
                return submit(*args, **kwargs)
            finally:
                beside.call(time.perf_counter() - start, beside.busy or beside.shifts != shifts)

        platform_api.submit_calculate_grades_csv = timed_submit
        watching = beside.watching()
        with watching:
            try:
                holder = lease.new_holder()
                started = dispatch.start(schedule.pk, trigger=Trigger.MANUAL, holder=holder)
                if split:
                    start_peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.reset_peak()
                summary = dispatch.work(started.run.pk, holder=holder)
            finally:
                platform_api.submit_calculate_grades_csv = submit
        submitted = summary["counts"].get("submitted", 0)
        if submitted != count:
            raise RuntimeError(f"the plugin submitted {submitted} of {count} courses: {summary}")
        return (start_peak, tracemalloc.get_traced_memory()[1]) if split else beside.in_platform()

    def settle(self):
        """End every platform task (as workers would) and empty the broker's queue; not timed."""
        from django.db import connection
        from lms.djangoapps.instructor_task.api_helper import queue_for
        from lms.djangoapps.instructor_task.models import InstructorTask

        InstructorTask.objects.exclude(task_state="SUCCESS").update(task_state="SUCCESS")
        if connection.vendor == "postgresql":
            # The update leaves a dead row version per task: clear them, or the next run pays.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {InstructorTask._meta.db_table}")
        with self.app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue_for(REPORT_TASK))

    def queued(self):
        from lms.djangoapps.instructor_task.api_helper import queue_for

        with self.app.connection_for_write() as broker:
            return broker.default_channel.client.llen(queue_for(REPORT_TASK))

    def time(self, count, repeat):
        schedule = self.schedule(count)
        ids = self.course_ids(count)
        self.settle()
        with counted() as baseline_queries:
            self.baseline(ids)
        if self.queued() != count:
            raise RuntimeError(f"the broker holds {self.queued()} messages, not {count}")
        self.settle()
        counting = Beside()
        with counted() as plugin_queries:
            self.plugin(schedule, count, beside=counting)
        self.settle()
        base, plug, own, writer, slowed = [], [], [], [], []

        def run_baseline():
            base.append(timed(lambda: self.baseline(ids)))
            self.settle()

        def run_plugin():
            beside = Beside()
            start = time.perf_counter()
            in_platform = self.plugin(schedule, count, beside=beside)
            plug.append(time.perf_counter() - start)
            own.append(plug[-1] - in_platform)
            writer.append(beside.cpu)
            slowed.append(beside.slowed())
            self.settle()

        for attempt in range(repeat):
            # Each goes first in turn: the platform's task table grows as they go.
            for step in (run_baseline, run_plugin) if attempt % 2 == 0 else (run_plugin, run_baseline):
                step()
            progress(f"{self.db} {count} courses, try {attempt + 1}: baseline {base[-1]:.2f} s, "
                     f"plugin {plug[-1]:.2f} s, of which its own {own[-1]:.2f} s, "
                     f"{slowed[-1]:.2f} s of it the platform's calls slowed beside "
                     f"(and {writer[-1]:.2f} s of processor time beside)")
        emit(kind="time", db=self.db, courses=count, baseline_s=statistics.median(base),
             plugin_s=statistics.median(plug), own_s=statistics.median(own),
             beside_s=statistics.median(writer), slowed_s=statistics.median(slowed),
             baseline_queries=baseline_queries[0], plugin_queries=plugin_queries[0] + counting.queries)

    def memory(self, count):
        schedule = self.schedule(count)
        ids = self.course_ids(count)
        self.settle()
        tracemalloc.start()
        self.baseline(ids)
        baseline_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.settle()
        tracemalloc.start()
        record_peak, submit_peak = self.plugin(schedule, count, split=True)
        tracemalloc.stop()
        self.settle()
        progress(f"{self.db} {count} courses: plugin peaks {record_peak / MIB:.1f} MiB recording, "
                 f"{submit_peak / MIB:.1f} MiB submitting")
        emit(kind="memory", db=self.db, courses=count, record_peak=record_peak, submit_peak=submit_peak,
             baseline_peak=baseline_peak)


class Beside:
    """
    The work on the run's thread beside it, which stores a batch's rows (ADR 0026), and its cost.

    Its processor seconds and queries (the run's are counted apart), and the platform's calls
    made while it works: how much longer they took than the others is the plugin's (ADR 0028).
    """

    def __init__(self):
        self.cpu, self.queries = 0.0, 0
        # The thread works now; it started or stopped work this many times (a call saw it if changed).
        self.busy, self.shifts = False, 0
        self.alone, self.beside = [], []

    def call(self, seconds, overlapped):
        """Note one platform call's seconds, and whether the thread beside worked during it."""
        (self.beside if overlapped else self.alone).append(seconds)

    def slowed(self):
        """Return the seconds the calls made while the thread worked took above the mean of the others."""
        if not self.beside or not self.alone:
            return 0.0
        return sum(self.beside) - len(self.beside) * statistics.fmean(self.alone)

    def in_platform(self):
        """Return the seconds of the platform's calls, those made beside the thread at the others' mean."""
        return sum(self.alone) + sum(self.beside) - self.slowed()

    @contextmanager
    def watching(self):
        from periodic_instructor_reports.runs import store

        reals = [(store, "write_batch", store.write_batch)]
        for module, name, real in reals:
            setattr(module, name, self._watched(real))
        try:
            yield self
        finally:
            for module, name, real in reals:
                setattr(module, name, real)

    def _watched(self, real):
        @functools.wraps(real)
        def watched(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                return real(*args, **kwargs)
            start = time.thread_time()
            self.busy, self.shifts = True, self.shifts + 1
            with counted() as count:
                try:
                    return real(*args, **kwargs)
                finally:
                    self.busy, self.shifts = False, self.shifts + 1
                    self.cpu += time.thread_time() - start
                    self.queries += count[0]

        return watched


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


@contextmanager
def counted():
    """Count the queries run inside the block; the count is ``[n]`` once the block ends."""
    from django.db import connection

    count = [0]

    def wrapper(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


if __name__ == "__main__":
    sys.exit(main())
