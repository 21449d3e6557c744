"""
Submitting a run's courses, one batch at a time, each course's outcome stored once.

A batch of courses never tried records its intent before the first call and its courses' rows
after the last; rows to try again (the broker refused them, or their report was already
running) are marked ``submitting`` first. Each course's call is prepared for the whole batch
before the first submission, then made; a broker outage stops the batch and leaves the rest
queued. The lease is renewed between calls, so a slow batch is never taken over mid-way. The
outcomes are put on the rows in one pass once the calls are made, not between them (ADR 0029).

Calls are prepared on the run's own thread: prepared beside it, they took the interpreter from
the platform's calls for longer than they saved (ADR 0028).
"""

import datetime
import logging
import time
from collections import Counter
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from opaque_keys import InvalidKeyError

from periodic_instructor_reports import conf, courses, platform
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.lengths import error_text, exception_text, fit
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.runs import settle, store
from periodic_instructor_reports.runs.lease import LeaseLost
from periodic_instructor_reports.states import Outcome

log = logging.getLogger(__name__)

# The clock read after each call: Django's ``timezone.now``, read there, cost more (ADR 0030).
wall_clock = time.time


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
    calls, made = _prepare(run_plan, to_submit), []
    try:
        outage = _make_calls(run_plan, run, lease, to_submit, calls, made)
    except SoftTimeLimitExceeded:
        _record(to_submit, calls, made)
        store.save_rows([row for row in rows if row.outcome != Outcome.SUBMITTING])
        raise
    _record(to_submit, calls, made)
    for row in to_submit[len(made):]:
        row.outcome, row.attempt = Outcome.PENDING, row.attempt - 1
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
    calls, made = _prepare(run_plan, queued), []
    writer.begin()
    started = timezone.now()
    try:
        outage = _make_calls(run_plan, run, lease, queued, calls, made, now=started)
    except SoftTimeLimitExceeded:
        writer.store(batch, rows + _record(queued, calls, made, started=started), done=False)
        raise
    rows += _record(queued, calls, made, started=started)
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
            key = courses.course_key(row.course_id)
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


def _make_calls(run_plan, run, lease, rows, calls, made, *, now=None):
    """
    Make the calls in turn, adding to ``made`` each one's ``(task id, error, end)``; return an outage or "".

    ``end`` is in seconds since the epoch (``wall_clock``), as ``now`` is read at the start. Nothing
    but the call and its end is done between two calls: code run right after a platform call
    was measured several times slower than the same code in one pass after the batch
    (``_record``; ADR 0029), Django's clock among it (ADR 0030). A broker outage stops the calls.

    Raises:
        LeaseLost: another holder took the run over.
    """
    function, leading, arguments = run_plan.function, run_plan.leading, run_plan.arguments
    queue_error, retries = platform.report_errors()[1], conf.get("RETRY_ATTEMPTS")
    end = (now or timezone.now()).timestamp()
    renew_at = lease.renew_at()
    for row, call in zip(rows, calls, strict=True):
        task_id = error = None
        if call.key is not None:
            if end >= renew_at:
                if not lease.renew():
                    raise LeaseLost(run.pk)
                renew_at = lease.renew_at()
            try:
                task_id = getattr(function(*leading, call.key, *arguments, **call.kwargs), "task_id", None)
            except (SoftTimeLimitExceeded, DatabaseError):
                raise
            except Exception as err:  # pylint: disable=broad-except
                error = err
            end = wall_clock()
        made.append((task_id, error, end))
        if isinstance(error, queue_error) and row.attempt <= retries:
            return f"the platform could not queue a report: {error}"
    return ""


def _record(rows, calls, made, *, started=None):
    """
    Put each made call's outcome on its row (and, given ``started``, when it began); return those rows.

    A row whose call was not made (an outage stopped the calls first, or the time limit) is left
    as it is.
    """
    already_running, queue_error = platform.report_errors()
    retries = conf.get("RETRY_ATTEMPTS")
    zone = datetime.UTC if settings.USE_TZ else None
    for row, call, (task_id, error, end) in zip(rows, calls, made, strict=False):
        end = datetime.datetime.fromtimestamp(end, zone)
        if started is not None:
            row.started_at, started = started, end
        row.finished_at = end
        if call.key is None:
            row.outcome, row.error = call.outcome, call.error
            if call.outcome == Outcome.REFUSED:
                log.warning("Periodic report run %s refused %s: %s.", row.run_id, row.course_id, call.error)
        elif error is None:
            row.outcome, row.error = Outcome.SUBMITTED, ""
            row.task_id = fit(ReportRunCourse, "task_id", str(task_id)) if task_id else ""
        elif isinstance(error, already_running):
            row.outcome, row.error = Outcome.ALREADY_RUNNING, exception_text(error)
        elif isinstance(error, queue_error):
            retried = row.attempt <= retries
            if retried:
                log.warning("Periodic report run %s: the platform could not queue %s (%s); the rest waits.",
                            row.run_id, row.course_id, error)
            row.outcome = Outcome.PENDING if retried else Outcome.FAILED
            row.error = error_text(f"queue_error: {exception_text(error)}")
        else:
            log.error("Periodic report run %s failed for %s.", row.run_id, row.course_id, exc_info=error)
            row.outcome, row.error = Outcome.FAILED, exception_text(error)
        log.debug("Periodic report run %s, course %s: %s.", row.run_id, row.course_id, row.outcome)
    return rows[:len(made)]
