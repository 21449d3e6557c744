"""
A data researcher schedules a report through the course-team REST API, on the real stack.

The researcher (the platform's data researcher role on one course, not global staff) creates a
schedule through the API; beat runs it, the worker submits the course's report and the follow-up
job records its file; the file is downloaded through the link the API's run list gave; then the
schedule is paused (beat stops sending it), run now, and deleted, and the admin log shows each step.
"""

from urllib.parse import urlsplit

import pytest
from common.djangoapps.student.models import CourseAccessRole
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from periodic_instructor_reports import beat
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.rest_api.v1.limits import IN_PROGRESS
from tests.integration.harness import make_courses, runs

COURSE = "course-v1:Team+Api101+2026"
API = f"/api/periodic-reports/v1/courses/{COURSE}/"
# Longer than an interval of 2 s plus beat's 1 s loop: a schedule beat still runs cannot stay this quiet.
QUIET = 6
HOST = "127.0.0.1"


def generated_rows(client, **query):
    """Return this course's generated rows of the runs the API lists (newest run first)."""
    response = client.get(API + "runs/", query)
    assert response.status_code == 200, response.content
    return [
        (run, row) for run in response.json()["results"] for row in run["courses"]
        if row["outcome"] == "generated" and row["download_url"]
    ]


@pytest.mark.usefixtures("reports")
def test_a_researcher_schedules_downloads_pauses_runs_and_deletes_through_the_api(stack):
    make_courses([COURSE])
    researcher = get_user_model().objects.create_user("api-researcher", "api-researcher@example.com")
    CourseAccessRole.objects.create(user=researcher, role="data_researcher", course_id=COURSE, org="Team")
    client = APIClient(HTTP_HOST=HOST)
    client.force_login(researcher)

    offered = [report["id"] for report in client.get(API + "reports/").json()]
    assert "grade_course" in offered and "pir_course_team" not in offered, offered
    response = client.post(API + "schedules/", {
        "report": "grade_course", "name": "Team grades", "interval": {"every": 2, "period": "seconds"},
    }, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    schedule = PeriodicReportSchedule.objects.get(pk=created["id"])
    assert (schedule.owner, schedule.course_ids, schedule.upload_folder_prefix) == (researcher, [COURSE], "")
    row_name = beat.beat_row_name(schedule.pk)

    # Beat runs it; the follow-up job records the course's file in the course's own folder.
    found = stack.wait(lambda: generated_rows(client), "beat's run of the API's schedule to have its file")
    run, row = found[0]
    assert (run["schedule"], run["read_only"], row["course_id"]) == (schedule.pk, False, COURSE)
    link = urlsplit(row["download_url"])
    browser = Client(HTTP_HOST=link.netloc)
    browser.force_login(researcher)
    download = browser.get(link.path)
    assert download.status_code == 200, download.status_code
    stored = ReportRun.objects.get(pk=run["id"]).courses.get(course_id=COURSE)
    assert b"".join(download.streaming_content) == (stack.reports_dir / stored.file_path).read_bytes()

    # Paused: beat stops sending it.
    response = client.post(API + f"schedules/{schedule.pk}/pause/")
    assert (response.status_code, response.json()["enabled"]) == (200, False), response.content
    stack.wait_quiet(row_name, QUIET)

    # Run now, once no run of it is in progress: a manual run, followed to its file.
    stack.wait(lambda: not runs(schedule, status__in=IN_PROGRESS).exists(), "the beat runs to end")
    response = client.post(API + f"schedules/{schedule.pk}/run-now/")
    assert response.status_code == 202, response.content
    stack.wait(lambda: runs(schedule, trigger="manual", status="done").exists(), "the manual run to be done")
    assert any(run["trigger"] == "manual" for run, _row in generated_rows(client, schedule=schedule.pk))

    # Deleted: its beat row goes, beat stays quiet, the runs stay in the course's history.
    assert client.delete(API + f"schedules/{schedule.pk}/").status_code == 204
    assert not PeriodicTask.objects.filter(name=row_name).exists()
    stack.wait_quiet(row_name, QUIET)
    assert generated_rows(client)

    steps = LogEntry.objects.filter(object_id=str(schedule.pk), user=researcher).order_by("pk")
    actions = [entry.change_message.split(".")[0] for entry in steps]
    assert actions == ["Created", "Paused", "Run now requested", "Deleted"], actions
