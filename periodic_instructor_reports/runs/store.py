"""
The run store: a run's row, its queue of courses in batches, one row per course once it has an outcome.

Every write of the run engine to those rows is here, each in a bounded number of queries: the
claim of a due time, the recording of the courses, the batches' intents and rows, the counts.
"""

import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from periodic_instructor_reports import conf, states
from periodic_instructor_reports.lengths import error_text, fit
from periodic_instructor_reports.models import ReportRun, ReportRunBatch, ReportRunCourse
from periodic_instructor_reports.runs import upsert
from periodic_instructor_reports.states import Outcome, RunStatus

log = logging.getLogger(__name__)

# Courses per batch of a run's queue, and course rows written or updated per query.
BATCH_SIZE = upsert.STATEMENT_ROWS


def claim_run(schedule, *, trigger, planned_at, holder, requested_by=None):
    """
    Record the start of a run held by ``holder``; return ``(run, created)``.

    The database refuses a second run of one schedule for one due time: a caller that loses
    that race gets the existing run and ``created`` False. The run keeps the schedule's name,
    report and owner id (and who asked for it, ``requested_by``), so it still says what it was
    once the schedule is deleted or renamed, and when it should be over by the schedule's window.
    """
    now = timezone.now()
    window = getattr(schedule, "finish_within", None)
    try:
        with transaction.atomic():
            # By id: the run must not hold on to the schedule and its (possibly long) course list.
            run = ReportRun.objects.create(
                schedule_id=schedule.pk, schedule_name=fit(ReportRun, "schedule_name", str(schedule)),
                report_name=schedule.task.name,
                report_path=schedule.task.path, owner_user_id=schedule.owner_id, trigger=trigger,
                requested_by_user_id=requested_by,
                planned_at=planned_at, started_at=now, holder=holder, heartbeat_at=now,
                finish_by=planned_at + window if window else None,
            )
    except IntegrityError:
        return ReportRun.objects.get(schedule=schedule, planned_at=planned_at), False
    return run, True


def record_courses(run, batches):
    """
    Record the run's courses as its queue, one batch row per 500 (ids that cannot run as skipped rows).

    ``batches`` yields ``(course ids, [Skipped])`` (``courses.target_batches``). All or nothing
    (one transaction): a run interrupted while recording is recorded again from the start. The
    run's row is locked first: a second dispatch of the due time waits for the recording rather
    than deadlocking with it (the batch rows' foreign key would share-lock it).
    """
    total = number = 0
    with transaction.atomic():
        ReportRun.objects.select_for_update().filter(pk=run.pk).values_list("pk", flat=True).first()
        for listed, skipped in batches:
            course_ids = [fit(ReportRunCourse, "course_id", str(course_id)) for course_id in listed]
            if course_ids:
                ReportRunBatch.objects.create(run_id=run.pk, number=number, course_ids=course_ids,
                                              size=len(course_ids))
                number += 1
            if skipped:
                now = timezone.now()
                ReportRunCourse.objects.bulk_create([
                    ReportRunCourse(
                        run_id=run.pk, course_id=fit(ReportRunCourse, "course_id", item.course_id),
                        outcome=Outcome.SKIPPED, error=item.error, started_at=now, finished_at=now,
                    )
                    for item in skipped
                ], batch_size=BATCH_SIZE, ignore_conflicts=True)
            total += len(course_ids) + len(skipped)
        run.course_total = total
        run.save(update_fields=["course_total"])


def next_batch(run, *, after):
    """Return the run's first queued batch numbered after ``after`` (-1 for the first), or None."""
    return ReportRunBatch.objects.filter(run_id=run.pk, number__gt=after).order_by("number").first()


def begin_batch(batch):
    """
    Record the intent to submit the batch's courses now, before the platform is called (one query).

    An intent recorded by an earlier attempt is kept: the platform's task rows are looked up from it.
    """
    if batch.submitting_since is None:
        batch.submitting_since = timezone.now()
        ReportRunBatch.objects.filter(pk=batch.pk, submitting_since__isnull=True).update(
            submitting_since=batch.submitting_since,
        )


def recorded_ids(run, course_ids):
    """Return the ids, of ``course_ids``, that already have a row in the run (one query)."""
    rows = ReportRunCourse.objects.filter(run_id=run.pk, course_id__in=course_ids)
    return set(rows.values_list("course_id", flat=True))


def store_batch(batch, rows, *, done, rest=()):
    """
    Store the rows of a batch's courses, then, when ``done``, take them off the queue.

    The rows are new (a row already there for the course is updated instead: the latest outcome
    wins). The batch is deleted, or keeps ``rest``, its courses not tried yet (a paced run's), as
    a batch not started. Stopped between the two, the batch stays queued with its courses
    recorded: the next attempt finds them done and submits the others.
    """
    write_batch(batch, upsert.prepare(rows), done=done, rest=rest)


def write_batch(batch, rows_upsert, *, done, rest=()):
    """``store_batch`` with the rows' upsert (``upsert.prepare``) put together beforehand."""
    rows_upsert()
    if not done:
        return
    if rest:
        ReportRunBatch.objects.filter(pk=batch.pk).update(
            course_ids=list(rest), size=len(rest), submitting_since=None,
        )
    else:
        ReportRunBatch.objects.filter(pk=batch.pk).delete()


def new_rows(course_ids, **values):
    """Return a new (unsaved) ``NewRow`` per course id, with ``values`` and the model's defaults."""
    names = ["run_id", "course_id", *upsert.OUTCOME_FIELDS]
    template = [values.pop(name) if name in values else ReportRunCourse._meta.get_field(name).get_default()
                for name in names]
    if values:
        raise TypeError(f"not fields of a new course row: {', '.join(values)}")
    after = template[2:]
    return [upsert.NewRow(template[0], course_id, *after) for course_id in course_ids]


def refuse_courses(run, course_ids, error):
    """Record these courses (all of the run) as refused with ``error``, in batches."""
    now = timezone.now()
    rows = [
        ReportRunCourse(run=run, course_id=fit(ReportRunCourse, "course_id", str(course_id)),
                        outcome=Outcome.REFUSED, error=error_text(error), started_at=now, finished_at=now)
        for course_id in course_ids
    ]
    for start in range(0, len(rows), BATCH_SIZE):
        ReportRunCourse.objects.bulk_create(rows[start:start + BATCH_SIZE], ignore_conflicts=True)
    run.course_total = ReportRunCourse.objects.filter(run=run).count()
    run.save(update_fields=["course_total"])


def open_rows(run, *, after_pk, retrying):
    """
    Return the next rows of the run's courses to submit again, in id order.

    Rows left pending (the broker refused their submission) or submitting (the intent) always;
    with ``retrying``, also rows refused as already running that have attempts left. Courses
    never tried have no row: they wait in the run's batches.
    """
    wanted = Q(outcome__in=states.OPEN)
    if retrying:
        wanted |= Q(outcome=Outcome.ALREADY_RUNNING, attempt__lte=conf.get("RETRY_ATTEMPTS"))
    return list(ReportRunCourse.objects.filter(wanted, run=run, pk__gt=after_pk).order_by("pk")[:BATCH_SIZE])


def mark_submitting(rows):
    """Record the intent to submit these rows now, before the platform is called (one query)."""
    now = timezone.now()
    ReportRunCourse.objects.filter(pk__in=[row.pk for row in rows]).update(
        outcome=Outcome.SUBMITTING, started_at=now, attempt=F("attempt") + 1,
    )
    for row in rows:
        row.outcome, row.started_at, row.attempt = Outcome.SUBMITTING, now, row.attempt + 1


def save_rows(rows, fields=upsert.OUTCOME_FIELDS):
    """
    Store ``fields`` of a batch of existing course rows (one query per ``BATCH_SIZE`` rows).

    Written as an insert that updates the rows already there (``ON CONFLICT``/``ON DUPLICATE
    KEY``): Django's ``bulk_update`` builds a ``CASE`` per field and row, which costs more than
    the submissions themselves (ADR 0014).
    """
    if not rows:
        return
    target = ["id"] if connection.features.supports_update_conflicts_with_target else None
    ReportRunCourse.objects.bulk_create(
        rows, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=target, update_fields=fields,
    )


def open_count(run_id):
    """Return how many courses of the run have no outcome yet or wait for a retry (an upper bound)."""
    rows = ReportRunCourse.objects.filter(
        Q(outcome__in=states.OPEN)
        | Q(outcome=Outcome.ALREADY_RUNNING, attempt__lte=conf.get("RETRY_ATTEMPTS")),
        run_id=run_id,
    ).count()
    queued = ReportRunBatch.objects.filter(run_id=run_id).aggregate(n=Sum("size"))["n"] or 0
    return rows + queued


def has_retries(run):
    """Return whether the run has courses refused as already running with attempts left."""
    return ReportRunCourse.objects.filter(
        run=run, outcome=Outcome.ALREADY_RUNNING, attempt__lte=conf.get("RETRY_ATTEMPTS"),
    ).exists()


def outcome_counts(run):
    """
    Return ``{outcome: count}`` of the run's courses (one query).

    Courses still queued (no row yet) count as pending.
    """
    rows = ReportRunCourse.objects.filter(run_id=run.pk).values("outcome").annotate(n=Count("pk"))
    counts = {row["outcome"]: row["n"] for row in rows}
    queued = (run.course_total or 0) - sum(counts.values())
    if queued > 0:
        counts[Outcome.PENDING.value] = counts.get(Outcome.PENDING.value, 0) + queued
    return counts


def finish_run(run, *, status, error="", holder=None):
    """
    Store the run's status, end time, error and counts per outcome; return the counts.

    With ``holder`` the run is finished only if that holder still has it (returns None if not).
    """
    counts = outcome_counts(run)
    rows = ReportRun.objects.filter(pk=run.pk)
    if holder is not None:
        rows = rows.filter(holder=holder)
    finished_at = None if status in (*states.UNFINISHED, RunStatus.GENERATING) else timezone.now()
    if not rows.update(status=status, counts=counts, error=error_text(error), finished_at=finished_at):
        return None
    run.status, run.counts, run.error, run.finished_at = status, counts, error_text(error), finished_at
    return counts


def close_open_rows(run, error, outcome=Outcome.SKIPPED):
    """
    Record the run's courses that were never submitted with ``outcome`` and ``error``; return how many.

    Rows left pending or submitting are updated (one query); courses still queued get their
    rows, batch by batch, and the queue is emptied.
    """
    now = timezone.now()
    error = error_text(error)
    closed = ReportRunCourse.objects.filter(run=run, outcome__in=states.OPEN).update(
        outcome=outcome, error=error, finished_at=now,
    )
    batch = next_batch(run, after=-1)
    while batch is not None:
        done = recorded_ids(run, batch.course_ids) if batch.submitting_since else set()
        rows = new_rows([course_id for course_id in batch.course_ids if course_id not in done],
                        run_id=run.pk, outcome=outcome, error=error, finished_at=now)
        store_batch(batch, rows, done=True)
        closed += len(rows)
        batch = next_batch(run, after=batch.number)
    return closed


