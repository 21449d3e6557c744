"""
The run store: a run's row, its queue of courses in batches, one row per course once it has an outcome.

Every write of the run engine to those rows is here, each in a bounded number of queries: the
claim of a due time, the recording of the courses, the batches' intents and rows, the counts.
"""

import datetime
import json
import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.constants import OnConflict
from django.utils import timezone

from periodic_instructor_reports import conf, states
from periodic_instructor_reports.lengths import error_text, fit
from periodic_instructor_reports.models import ReportRun, ReportRunBatch, ReportRunCourse
from periodic_instructor_reports.states import Outcome, RunStatus

log = logging.getLogger(__name__)

# Course rows written or updated per query.
BATCH_SIZE = 500


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
    if rows:
        _upsert(rows)
    if not done:
        return
    if rest:
        ReportRunBatch.objects.filter(pk=batch.pk).update(
            course_ids=list(rest), size=len(rest), submitting_since=None,
        )
    else:
        ReportRunBatch.objects.filter(pk=batch.pk).delete()


def _upsert(rows):
    """
    Insert the new rows, or update the outcome of those already there, in one statement per ``BATCH_SIZE``.

    A new row sets ``INSERT_FIELDS``; its other columns take the model's defaults, sent once per
    statement. On PostgreSQL and MySQL/MariaDB the statement is put together here with Django's
    conflict clause: Django's ``bulk_create`` prepares every field of every row through the
    compiler, which costs more than the database's own work (ADR 0014, ADR 0024, ADR 0025).
    PostgreSQL gets a batch's values as one JSON text (``json_array_elements``), which its driver
    sends as it is; MySQL/MariaDB a placeholder per value. Elsewhere (sqlite) ``bulk_create``.
    """
    if connection.vendor not in ("postgresql", "mysql"):
        target = ["run", "course_id"] if connection.features.supports_update_conflicts_with_target else None
        ReportRunCourse.objects.bulk_create(
            rows, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=target,
            update_fields=OUTCOME_FIELDS,
        )
        return
    meta, ops = ReportRunCourse._meta, connection.ops
    sent = [meta.get_field(name) for name in INSERT_FIELDS]
    fixed = [field for field in meta.concrete_fields if not field.primary_key and field not in sent]
    defaults = [field.get_db_prep_save(field.get_default(), connection) for field in fixed]
    conflict = ops.on_conflict_suffix_sql(
        sent, OnConflict.UPDATE, [meta.get_field(name).column for name in OUTCOME_FIELDS],
        [meta.get_field("run").column, meta.get_field("course_id").column],
    )
    columns = ", ".join(ops.quote_name(field.column) for field in [*fixed, *sent])
    insert = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns})"
    names = [field.attname for field in sent]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            values = [[getattr(row, name) for name in names] for row in rows[start:start + BATCH_SIZE]]
            if connection.vendor == "postgresql":
                # Without its length: a value too long is refused by the insert, not cut by the cast.
                cast = ", ".join(f"(value->>{at})::{field.db_type(connection).split('(')[0]}"
                                 for at, field in enumerate(sent))
                cursor.execute(
                    f"{insert} SELECT {', '.join(['%s'] * len(fixed))}, {cast} "
                    f"FROM json_array_elements(%s::json) AS value {conflict}",
                    [*defaults, json.dumps(values, default=_datetime_value)],
                )
            else:
                one = f"({', '.join(['%s'] * (len(fixed) + len(sent)))})"
                cursor.execute(
                    f"{insert} VALUES {', '.join([one] * len(values))} {conflict}",
                    [value for row in values for value in (*defaults, *map(_mysql_value, row))],
                )


def _datetime_value(value):
    """Return a datetime as the database takes it in text (a JSON value); refuse any other type."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"a course row's value of type {type(value).__name__} is not stored as JSON")
    value = connection.ops.adapt_datetimefield_value(value)
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _mysql_value(value):
    return _datetime_value(value) if isinstance(value, datetime.datetime) else value


def new_rows(course_ids, **values):
    """
    Return a new (unsaved) row per course id, with ``values`` and the model's (constant) defaults.

    Built from positional values, which Django's model takes in a third of the time of keywords.
    """
    fields = ReportRunCourse._meta.concrete_fields
    template = [values.pop(field.attname) if field.attname in values else field.get_default()
                for field in fields]
    if values:
        raise TypeError(f"not fields of a course row: {', '.join(values)}")
    at = [field.attname for field in fields].index("course_id")
    rows = []
    for course_id in course_ids:
        template[at] = course_id
        rows.append(ReportRunCourse(*template))
    return rows


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


OUTCOME_FIELDS = [
    "outcome", "task_id", "upload_parent_dir", "error", "started_at", "finished_at", "attempt",
    "expected_name",
]
# What a new course row sets (``new_rows``, a settled submission): its other fields are defaults.
INSERT_FIELDS = ["run", "course_id", *OUTCOME_FIELDS]


def save_rows(rows, fields=OUTCOME_FIELDS):
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


