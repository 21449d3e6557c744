"""
Fixtures of the integration suite: a real database, Redis, one celery beat and one worker.

This tree runs only when it is named on the command line (``make test-integration`` or
``pytest tests/integration``): the default ``make test`` stays fast and needs no service.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from demo import processes
from tests.integration import harness
from tests.integration.harness import SETTINGS
from tests.separate_tree import requested

HERE = Path(__file__).resolve().parent


def _requested(config):
    return requested(config, HERE)


def pytest_ignore_collect(collection_path, config):  # noqa: ARG001  (pytest passes hook arguments by name)
    """Leave this tree out of runs that did not ask for it."""
    return None if _requested(config) else True


def pytest_configure(config):
    """Set up Django with the integration settings before the test modules import the plugin."""
    if not _requested(config):
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.setdefault("PIR_IT_DB", "postgres")
    os.environ["PIR_IT_REPORTS_DIR"] = tempfile.mkdtemp(prefix="pir-it-reports-")
    os.environ["PIR_IT_MAIL_DIR"] = tempfile.mkdtemp(prefix="pir-it-mail-")
    import django

    django.setup()


def pytest_unconfigure(config):
    """Remove the report files and e-mails of the run."""
    if _requested(config):
        shutil.rmtree(os.environ["PIR_IT_REPORTS_DIR"], ignore_errors=True)
        shutil.rmtree(os.environ["PIR_IT_MAIL_DIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Create and migrate the database, start beat and a worker; stop and drop everything after."""
    import redis
    from django.conf import settings
    from django.db import connections

    from demo import processes
    from tests.integration import harness

    kind = os.environ["PIR_IT_DB"]
    harness.require_services(kind)
    with harness.one_run_at_a_time():
        harness.recreate_database(kind)
        redis_client = redis.Redis.from_url(settings.BROKER_URL)
        redis_client.flushdb()
        env = processes.project_env(
            SETTINGS, PIR_IT_DB=kind, PIR_IT_REPORTS_DIR=os.environ["PIR_IT_REPORTS_DIR"]
        )
        children = processes.Children(tmp_path_factory.mktemp("logs"), env)
        try:
            subprocess.run(
                [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, check=True
            )
            reports_dir = settings.GRADES_DOWNLOAD["STORAGE_KWARGS"]["location"]
            stack = harness.Stack(children, reports_dir, redis_client, kind)
            stack.start()
            yield stack
        finally:
            children.stop()
            print(f"\nprocess logs of this run: {children.log_dir}")
            connections.close_all()
            redis_client.flushdb()
            harness.drop_database(kind)


@pytest.fixture(scope="session")
def admin(stack):  # noqa: ARG001  (the stack's database first)
    """The superuser who registers report tasks (the registry is for superusers only)."""
    from tests import factories

    return factories.superuser()


@pytest.fixture(scope="session")
def owner(stack, admin):  # noqa: ARG001  (the stack's database and the registry first)
    """
    The staff user who makes the schedules (so owns them) and requests the reports, plus two
    learners the reports list. Global staff may have every course's data.
    """
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for name in ("learner1", "learner2"):
        users.create_user(name, f"{name}@example.com", first_name=name.title())
    return users.create_user("instructor", "instructor@example.com", is_staff=True)


@pytest.fixture(scope="session")
def reports(stack, admin):  # noqa: ARG001  (the stack's database first)
    """The three supported reports (the plugin's migration registers them): grade, problem_grade, profile."""
    from periodic_instructor_reports import api, catalog
    from periodic_instructor_reports.models import PeriodicReportTask

    def registered(name, path):
        return PeriodicReportTask.objects.filter(path=path).order_by("pk").first() or api.create_report_task(
            acting_user=admin, name=name, path=path, requires_request=True
        )

    return {
        "grade": registered("Grade report", catalog.GRADE_REPORT),
        "problem_grade": registered("Problem grade report", catalog.PROBLEM_GRADE_REPORT),
        "profile": registered("Profile information report", catalog.PROFILE_REPORT),
    }


@pytest.fixture
def every():
    """Return the interval schedule of ``n`` seconds (or another period)."""
    from django_celery_beat.models import IntervalSchedule

    def interval(n, period=IntervalSchedule.SECONDS):
        return IntervalSchedule.objects.get_or_create(every=n, period=period)[0]

    return interval


@pytest.fixture(autouse=True)
def delete_schedules_after(request):
    """Delete the schedules a scenario made, so the next one starts with a quiet beat."""
    yield
    if "stack" not in request.fixturenames:
        return
    from periodic_instructor_reports import api
    from periodic_instructor_reports.models import PeriodicReportSchedule
    from tests import factories

    for schedule in PeriodicReportSchedule.objects.all():
        api.delete_schedule(schedule, acting_user=factories.superuser())


@pytest.fixture(scope="module")
def kind(stack):
    """The database the suite runs on: postgres or mysql."""
    return stack.kind


@pytest.fixture(scope="module")
def own_processes(stack):
    """Stop the suite's beat and worker for the module; run the follow-up job every few seconds meanwhile."""
    with stack.paused(), harness.follow_up(every=harness.FOLLOW_UP_EVERY):
        yield


@pytest.fixture
def launch(request, own_processes, kind, tmp_path):  # noqa: ARG001  (after the module's own processes)
    """
    Return a function making the scenario's ``Children`` with extra environment variables.

    The module's ``LAUNCH_ENV`` (a dict) comes first, then the function's. Whatever they still
    run is stopped after the scenario (beats first, as started last).
    """
    made = []

    def children(**env):
        environ = processes.project_env(
            SETTINGS, PIR_IT_DB=kind, PIR_IT_REPORTS_DIR=os.environ["PIR_IT_REPORTS_DIR"],
            **{**getattr(request.module, "LAUNCH_ENV", {}), **env},
        )
        made.append(processes.Children(tmp_path / "logs", environ))
        return made[-1]

    yield children
    for each in reversed(made):
        each.stop()
        print(f"\nprocess logs of this scenario: {each.log_dir}")


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the scenario's own, on a free port; stopped after the scenario's processes."""
    server = harness.PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
