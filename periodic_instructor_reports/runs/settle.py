"""
Settling submissions an interruption left unrecorded, from the platform's own task table.

A course whose submission was in flight when its worker stopped may have reached the platform:
before it is submitted again, its platform task row is looked for, requested by the owner, of
the report's task type, created since the intent. Found, the course is recorded as submitted
(and followed to its file); not found, or refused by the broker, it is submitted again.
"""

import datetime
import logging

from django.utils import timezone

from periodic_instructor_reports import courses, platform, reports, task_output
from periodic_instructor_reports.lengths import fit
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.states import Outcome

log = logging.getLogger(__name__)

# Clocks of workers on different hosts may differ a little.
INTENT_SLACK = datetime.timedelta(seconds=5)


def settle_in_flight(run_plan, rows):
    """
    Find the platform's task of courses whose submission was interrupted; mark those submitted.

    Each is recorded with its upload folder and the start of its file's name, as a submission is,
    so the follow-up job finds its file.
    """
    found = platform_tasks(run_plan, {row.course_id: row.started_at for row in rows})
    for row in rows:
        task_id = found.get(row.course_id)
        if task_id:
            _resumed(run_plan, row, task_id)


def settle_queued(run_plan, run, course_ids, since):
    """Return rows of the courses, of an interrupted batch, the platform has a task of since ``since``."""
    found = platform_tasks(run_plan, dict.fromkeys(course_ids, since))
    rows = []
    for course_id in course_ids:
        if course_id in found:
            row = ReportRunCourse(run_id=run.pk, course_id=course_id, attempt=1, started_at=since)
            _resumed(run_plan, row, found[course_id])
            rows.append(row)
    return rows


def _resumed(run_plan, row, task_id):
    record_call(run_plan, row, courses.course_key(row.course_id))
    row.outcome, row.task_id, row.finished_at = Outcome.SUBMITTED, task_id, timezone.now()
    row.error = "resumed: the platform had recorded this submission before the worker stopped"
    log.info("Periodic report run %s: %s was submitted before the interruption (task %s).",
             row.run_id, row.course_id, task_id)


def platform_tasks(run_plan, started):
    """
    Return ``{course id: platform task id}`` of courses whose submission reached the platform.

    ``started`` maps each course id to when the intent to submit it was recorded. Looks for the
    platform's own task row of each course, requested by the owner, of the report's task type
    when known, created since the intent (one query). A row of a submission the broker refused
    does not count: that course is submitted again.
    """
    model = platform.instructor_task_model()
    if model is None or not started:
        return {}
    since = min(started.values()) - INTENT_SLACK
    tasks = model.objects.filter(
        course_id__in=list(started), requester_id=run_plan.schedule.owner_id, created__gte=since,
    )
    task_type = reports.task_type(run_plan.schedule.task.path)
    if task_type:
        tasks = tasks.filter(task_type=task_type)
    found = {}
    rows = tasks.order_by("created").values_list(
        "course_id", "task_id", "created", "task_state", "task_output"
    )
    for course_id, task_id, created, state, output in rows:
        course_id = str(course_id)
        intent = started.get(course_id)
        if intent is None or created < intent - INTENT_SLACK:
            continue
        if task_output.refused_by_the_broker(state, output):
            continue
        found.setdefault(course_id, task_id)
    return found


def record_call(run_plan, row, key):
    """Put the call's upload folder and the start of its file's name on ``row``; return ``call_for``'s."""
    kwargs, folder = run_plan.call_for(key)
    row.upload_parent_dir = fit(ReportRunCourse, "upload_parent_dir", folder or "")
    row.expected_name = fit(ReportRunCourse, "expected_name",
                            reports.expected_name(run_plan.path, key, kwargs))
    return kwargs, folder
