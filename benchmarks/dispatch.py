"""
Print what the plugin adds on top of the work it drives, as ratios against baselines.

* dispatch: ``dispatch.run_schedule`` for N courses against calling the same (no-op) report
  function N times directly, with the same request and keyword arguments;
* writes: ``api.create_schedule`` (validate, save, beat row) against creating the bare
  ``PeriodicTask`` rows.

Peak memory comes from tracemalloc. Run with ``make bench``; numbers are for comparison on one
machine, never thresholds.
"""

import os
import sys
import time
import tracemalloc

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.test.utils import override_settings, setup_test_environment  # noqa: E402

CALLS = []


def noop_report(request, course_key, **task_kwargs):
    """A report function that only counts its calls."""
    CALLS.append(course_key)


def report(case, plugin_s, base_s, peak):
    """Print one row of the table."""
    print(f"{case:<34}{plugin_s * 1000:>11.2f}{base_s * 1000:>13.2f}{plugin_s / base_s:>8.2f}{peak:>10.0f}")


def measure(function, repeat=5):
    """Return (best seconds, peak KiB) of ``function`` over ``repeat`` runs."""
    best, peak = float("inf"), 0
    for _ in range(repeat):
        tracemalloc.start()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return best, peak / 1024


def main():
    from django.test.runner import DiscoverRunner

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    old = runner.setup_databases()
    try:
        allowed = ["benchmarks.dispatch.noop_report"]
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=allowed):
            run(__import__("periodic_instructor_reports.api", fromlist=["x"]))
    finally:
        runner.teardown_databases(old)


def run(api):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask
    from opaque_keys.edx.keys import CourseKey

    from periodic_instructor_reports import dispatch
    from periodic_instructor_reports.requests import build_report_request
    from tests import factories

    owner = factories.user()
    task = api.create_report_task(name="noop", path="benchmarks.dispatch.noop_report", requires_request=True)
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    print(f"{'case':<34}{'plugin ms':>11}{'baseline ms':>13}{'ratio':>8}{'peak KiB':>10}")
    for count in (1, 100, 1000):
        course_ids = [f"course-v1:Org{i}+C{i}+R" for i in range(count)]
        schedule = api.create_schedule(task=task, owner=owner, interval=interval, course_ids=course_ids,
                                       upload_folder_structure="by_date", upload_folder_prefix="p/")

        def baseline(course_ids=course_ids):
            request = build_report_request(owner)
            for course_id in course_ids:
                noop_report(request, CourseKey.from_string(course_id), upload_parent_dir="p/2026-01-01")

        plugin_s, peak = measure(lambda pk=schedule.pk: dispatch.run_schedule(pk))
        base_s, _ = measure(baseline)
        report(f"dispatch {count} courses", plugin_s, base_s, peak)

    count = 200

    def create_schedules():
        for _ in range(count):
            api.create_schedule(task=task, owner=owner, interval=interval, course_ids=["course-v1:A+B+C"])

    def create_rows():
        for i in range(count):
            name = f"bare-{time.perf_counter_ns()}-{i}"
            PeriodicTask.objects.create(name=name, task="x", interval=interval)

    plugin_s, peak = measure(create_schedules, repeat=3)
    base_s, _ = measure(create_rows, repeat=3)
    report(f"create {count} schedules", plugin_s, base_s, peak)


if __name__ == "__main__":
    main()
