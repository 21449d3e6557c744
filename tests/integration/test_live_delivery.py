"""
Reports followed to their files on the real stack, with nobody touching the run.

Beat fires a schedule, the worker submits its courses and the platform stand-in writes the reports
(one course's report fails in the worker: the stand-in's ``Broken`` organisation); the follow-up
job (every 2 s here, ``PERIODIC_INSTRUCTOR_REPORTS_FOLLOW_UP_SECONDS``) then records each course
``generated`` with its file, or ``report_failed`` with the platform's error, ends the run
``done`` and sends its one e-mail, whose download links serve the files to those entitled to them.
"""

import re
from urllib.parse import urlsplit

from django.test import Client
from django_celery_beat.models import IntervalSchedule
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api
from periodic_instructor_reports.models import PeriodicReportSchedule
from periodic_instructor_reports.states import Notify
from tests.integration.harness import (
    assert_files_recorded,
    create_schedule,
    due_in,
    mail_text,
    mails,
    runs,
)
from tests.integration.scenario import assert_complete_report, file_pattern, matching

GENERATED = ["course-v1:Deliver+One+2026", "course-v1:Deliver+Two+2026", "course-v1:Deliver+Three+2026"]
# The stand-in's reports of this organisation's courses fail in the worker.
BROKEN = "course-v1:Broken+Fails+2026"
BROKEN_ERROR = f"ReportFailed: Could not compute the report of {BROKEN}: grading backend down"
RECIPIENT = "reports@example.com"
LINK = re.compile(r"^  (\S+): generated: (\S+)$", re.MULTILINE)


def test_a_run_is_followed_to_its_files_and_mailed_once(stack, owner, reports, every):
    schedule = create_schedule(
        owner, name="Delivered", task=reports["grade"], interval=every(1, IntervalSchedule.HOURS),
        course_ids=[*GENERATED, BROKEN], upload_folder_prefix="delivered/", upload_folder_structure="flat",
        recipients=[RECIPIENT], notify=Notify.ALWAYS,
    )
    due = due_in(schedule, 2)

    # Beat fires the due time; nobody touches the run until it is done. The follow-up job ends a
    # run, then sends its e-mail: the waits are for both.
    mailed = {"status": "done", "notified_at__isnull": False}
    first = stack.wait(lambda: runs(schedule, **mailed).first(),
                       "beat's run to be followed to the end of its reports")
    assert (first.trigger, first.planned_at) == ("beat", due)
    # Then a second run (run now) of the same courses, whose files land in the same folder, in the
    # same minute: each run's courses get their own files.
    api.run_schedules_now(PeriodicReportSchedule.objects.filter(pk=schedule.pk), acting_user=owner)
    second = stack.wait(lambda: runs(schedule, trigger="manual", **mailed).first(),
                        "the manual run to be followed to the end of its reports")

    worker_log = stack.children.log("worker")
    for run in (first, second):
        # The dispatch ended with the reports still being generated; the follow-up job ended the run.
        assert re.search(
            rf"continue_report_run\[[0-9a-f-]+\] succeeded in \S+: \{{'schedule_id': {schedule.pk}, "
            rf"'run_id': {run.pk}, 'status': 'generating'", worker_log,
        ), f"the dispatch of run {run.pk} did not end generating"
        assert f"Periodic report run {run.pk} is done:" in worker_log
        assert (run.status, run.counts) == ("done", {"generated": 3, "report_failed": 1}), (
            run.status, run.counts, run.error)
        assert run.finished_at is not None and run.notified_at is not None

        broken = run.courses.get(course_id=BROKEN)
        assert (broken.outcome, broken.file_path, broken.file_size) == ("report_failed", "", None)
        assert broken.error == BROKEN_ERROR, broken.error
        assert InstructorTask.objects.get(task_id=broken.task_id).task_state == "FAILURE"
        for row in run.courses.exclude(course_id=BROKEN):
            assert row.course_id in GENERATED
            assert InstructorTask.objects.get(task_id=row.task_id).task_state == "SUCCESS"
            prefix = row.course_id.split(":", 1)[1].replace("+", "_")
            pattern = file_pattern(prefix, "grade_report", row.course_id)
            assert matching([row.file_name], pattern), row.file_name
            assert_complete_report(stack.reports_dir / row.file_path, "grade_report")
    # Every generated course of both runs names its own file, there, with the recorded size.
    assert_files_recorded(
        [row for run in (first, second) for row in run.courses.exclude(course_id=BROKEN)], stack.reports_dir
    )

    # One e-mail per run, to the owner (a course failed) and the recipient, linking each report.
    sent = [mail for mail in mails() if mail["Subject"].startswith("Periodic report Delivered:")]
    assert sorted(mail["Subject"] for mail in sent) == sorted(
        f"Periodic report Delivered: 1 of 4 courses not produced (run {run.pk})" for run in (first, second)
    ), [mail["Subject"] for mail in sent]
    learner = type(owner).objects.get(username="learner1")
    for run in (first, second):
        mail = next(mail for mail in sent if mail["Subject"].endswith(f"(run {run.pk})"))
        assert mail["To"] == f"{owner.email}, {RECIPIENT}"
        text = mail_text(mail)
        assert f"  {BROKEN}: report failed" in text, text
        links = dict(LINK.findall(text))
        assert sorted(links) == sorted(GENERATED), text
        for row in run.courses.exclude(course_id=BROKEN):
            link = urlsplit(links[row.course_id])
            assert link.path == f"/periodic-reports/download/{row.pk}/", links[row.course_id]
            # The link serves the file to the owner (global staff), and to no one else.
            as_owner, as_learner = Client(HTTP_HOST=link.netloc), Client(HTTP_HOST=link.netloc)
            as_owner.force_login(owner)
            as_learner.force_login(learner)
            response = as_owner.get(link.path)
            assert response.status_code == 200, (row.course_id, response.status_code)
            assert b"".join(response.streaming_content) == (stack.reports_dir / row.file_path).read_bytes()
            assert as_learner.get(link.path).status_code == 403
