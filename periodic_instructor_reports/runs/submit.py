"""
Submitting a run's courses, one batch at a time, each course's outcome stored once.

A batch of courses never tried records its intent before the first call and its courses' rows
after the last; rows to try again (the broker refused them, or their report was already
running) are marked ``submitting`` first. Each course's call is prepared for the whole batch
before the first submission, then made; a broker outage stops the batch and leaves the rest
queued. The lease is renewed between calls, so a slow batch is never taken over mid-way.

Calls are prepared on the run's own thread: prepared beside it, they took the interpreter from
the platform's calls for longer than they saved (ADR 0028).
"""

import logging
from collections import Counter
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError
from django.utils import timezone
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf, platform
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.lengths import error_text, exception_text, fit
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.runs import settle, store
from periodic_instructor_reports.runs.lease import LeaseLost
from periodic_instructor_reports.states import Outcome

log = logging.getLogger(__name__)


def submit_rows(run_plan, run, lease, *, rows, limit=None):
    """
    Submit again courses that have a row (left pending or submitting, or to retry); return an outage or "".

    Rows whose submission was in flight are first looked up in the platform's task table. At
    most ``limit`` courses are submitted (the slots the run was granted); the others stay open.

    Raises:
        LeaseLost: another holder took the run over; nothing more is submitted or saved.
    """
    in_flight = [row for row in rows if row.outcome == Outcome.SUBMITTING]
    if in_flight:
        settle.settle_in_flight(run_plan, in_flight)
    to_submit = [row for row in rows if row.outcome != Outcome.SUBMITTED][:limit]
    store.mark_submitting(to_submit)
    calls = _prepare(run_plan, to_submit)
    already_running, queue_error = platform.report_errors()
    outage = ""
    try:
        for row, call in zip(to_submit, calls, strict=True):
            if outage:
                row.outcome, row.attempt = Outcome.PENDING, row.attempt - 1
                continue
            if not lease.renew():
                raise LeaseLost(run.pk)
            outage = _make_call(run_plan, row, call, already_running, queue_error)
    except SoftTimeLimitExceeded:
        store.save_rows([row for row in rows if row.outcome != Outcome.SUBMITTING])
        raise
    store.save_rows(rows)
    _log_batch(run, "courses tried again", rows)
    return outage


def submit_queued(run_plan, run, lease, *, batch, writer, limit=None):
    """
    Submit a queued batch's courses, store their rows and take them off the queue; return an outage or "".

    The rows are handed to ``writer`` (a ``BatchWriter``), which may still be storing them when
    this returns.

    A batch whose intent an interrupted attempt recorded first settles its courses without a row
    from the platform's task table. After an outage, the courses not tried stay queued. At most
    ``limit`` courses are submitted (the slots the run was granted): the rest stay in the batch.

    Raises:
        LeaseLost: another holder took the run over; nothing more is submitted or saved.
    """
    course_ids, rows = batch.course_ids, []
    if batch.submitting_since is not None:
        done = store.recorded_ids(run, course_ids)
        course_ids = [course_id for course_id in course_ids if course_id not in done]
        rows = settle.settle_queued(run_plan, run, course_ids, batch.submitting_since)
        settled = {row.course_id for row in rows}
        course_ids = [course_id for course_id in course_ids if course_id not in settled]
    else:
        store.begin_batch(batch)
    course_ids, rest = course_ids[:limit], course_ids[len(course_ids[:limit]):]
    queued = store.new_rows(course_ids, run_id=run.pk, attempt=1)
    calls = _prepare(run_plan, queued)
    already_running, queue_error = platform.report_errors()
    writer.begin()
    outage, now = "", timezone.now()
    try:
        for row, call in zip(queued, calls, strict=True):
            if not lease.renew(now):
                raise LeaseLost(run.pk)
            row.started_at = now
            outage = _make_call(run_plan, row, call, already_running, queue_error)
            rows.append(row)
            if outage:
                break
            now = row.finished_at  # the next course starts as this one ends
    except SoftTimeLimitExceeded:
        writer.store(batch, rows, done=False)
        raise
    writer.store(batch, rows, done=not outage, rest=rest)
    _log_batch(run, f"batch {batch.number}", rows)
    return outage


def _log_batch(run, what, rows):
    counts = Counter(row.outcome for row in rows)
    log.info("Periodic report run %s, %s: %s.", run.pk, what,
             ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "nothing to do")


@dataclass
class Call:
    """One course's call, prepared: its key and keyword arguments; or the outcome it gets without one."""

    key: object = None
    kwargs: dict = None
    outcome: str = ""
    error: str = ""


def _prepare(run_plan, rows):
    """
    Return each row's ``Call``, working out each course's folder and file name on its row.

    A course whose id is not a key is to be skipped, one the owner may not request or whose
    folder is refused to be refused. Done for a whole batch before its first submission, in one
    pass over its ids (ADR 0016 has the figures). Nothing is decided on a row until the batch
    reaches it.
    """
    calls = []
    for row in rows:
        try:
            key = CourseKey.from_string(row.course_id)
        except InvalidKeyError as err:
            calls.append(Call(outcome=Outcome.SKIPPED,
                              error=error_text(f"invalid_course: {exception_text(err)}")))
            continue
        try:
            kwargs, folder = settle.record_call(run_plan, row, key)
        except ProfileColumnsError as err:
            log.warning("Periodic report run %s failed for %s: %s", row.run_id, row.course_id, err)
            calls.append(Call(outcome=Outcome.FAILED, error=error_text(f"profile_columns: {err}")))
            continue
        refusal = run_plan.refusal_for(key, folder)
        calls.append(Call(outcome=Outcome.REFUSED, error=refusal) if refusal else Call(key, kwargs))
    return calls


def _make_call(run_plan, row, call, already_running, queue_error):
    """Put the course's outcome on ``row``, decided beforehand or by the report; return an outage or ""."""
    if call.key is not None:
        return _submit(run_plan, row, call, already_running, queue_error)
    row.outcome, row.error, row.finished_at = call.outcome, call.error, timezone.now()
    if call.outcome == Outcome.REFUSED:
        log.warning("Periodic report run %s refused %s: %s.", row.run_id, row.course_id, call.error)
    return ""


def _submit(run_plan, row, call, already_running, queue_error):
    """Call the report for one course and put the outcome on ``row``; return an outage reason or ""."""
    try:
        submitted = run_plan.function(*run_plan.leading, call.key, *run_plan.arguments, **call.kwargs)
    except (SoftTimeLimitExceeded, DatabaseError):
        raise
    except already_running as err:
        row.outcome, row.error = Outcome.ALREADY_RUNNING, exception_text(err)
    except queue_error as err:
        if row.attempt <= conf.get("RETRY_ATTEMPTS"):
            log.warning("Periodic report run %s: the platform could not queue %s (%s); the rest waits.",
                        row.run_id, row.course_id, err)
            row.outcome, row.error = Outcome.PENDING, error_text(f"queue_error: {exception_text(err)}")
            return f"the platform could not queue a report: {err}"
        row.outcome, row.error = Outcome.FAILED, error_text(f"queue_error: {exception_text(err)}")
    except Exception as err:  # pylint: disable=broad-except
        log.exception("Periodic report run %s failed for %s.", row.run_id, row.course_id)
        row.outcome, row.error = Outcome.FAILED, exception_text(err)
    else:
        task_id = getattr(submitted, "task_id", None)
        row.outcome, row.error = Outcome.SUBMITTED, ""
        row.task_id = fit(ReportRunCourse, "task_id", str(task_id)) if task_id else ""
    row.finished_at = timezone.now()
    log.debug("Periodic report run %s, course %s: %s.", row.run_id, row.course_id, row.outcome)
    return ""
