"""
A batch's course rows written in one statement per 500: inserted, or their outcome updated.

A new row sets ``INSERT_FIELDS``; its other columns take the model's defaults. On PostgreSQL and
MySQL/MariaDB the statement is put together here with Django's conflict clause: Django's
``bulk_create`` prepares every field of every row through the compiler, which costs more than
the database's own work (ADR 0014, ADR 0024, ADR 0025). Values every row of a statement shares
(the defaults, the run, most often the outcome, the attempt and the folder) are sent once; only
the others are sent per row (ADR 0026). PostgreSQL gets those as one JSON text
(``json_array_elements``), which its driver sends as it is; MySQL/MariaDB a placeholder per value,
the shared ones written into the statement as the driver quotes them. Elsewhere (sqlite)
``bulk_create``.
"""

import datetime
import json
from dataclasses import astuple, dataclass
from operator import attrgetter

from django.conf import settings
from django.db import connection
from django.db.models.constants import OnConflict

from periodic_instructor_reports.models import ReportRunCourse

# Course rows written per statement.
STATEMENT_ROWS = 500
OUTCOME_FIELDS = [
    "outcome", "task_id", "upload_parent_dir", "error", "started_at", "finished_at", "attempt",
    "expected_name",
]
# What a new course row sets (a batch's row, a settled submission): its other fields are defaults.
INSERT_FIELDS = ["run", "course_id", *OUTCOME_FIELDS]


@dataclass(slots=True)
class NewRow:
    """
    A course's row before it is first stored: the fields a new row sets (``INSERT_FIELDS``).

    Not a model instance: Django's model sets each of its fields and sends two signals for every
    row (5-9 µs a row, about what the database's own work for it costs), and a new row's other
    fields are the model's defaults.
    """

    run_id: int
    course_id: str
    outcome: str
    task_id: str
    upload_parent_dir: str
    error: str
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    attempt: int
    expected_name: str

    def as_model(self):
        names = ("run_id", "course_id", *OUTCOME_FIELDS)
        return ReportRunCourse(**dict(zip(names, astuple(self), strict=True)))


def prepare(rows):
    """
    Return the rows' upsert (an ``Upsert``), its statements put together now, to run later.

    New rows are inserted, those already there get their outcome updated; one statement per 500.

    A run puts them together on its own thread and hands them to the writer's: there, this
    Python work held the interpreter while the platform's calls waited for it (ADR 0029).
    """
    if connection.vendor not in ("postgresql", "mysql"):
        return Upsert(rows=rows)
    connection.ensure_connection()
    meta = ReportRunCourse._meta
    sent = [meta.get_field(name) for name in INSERT_FIELDS]
    fixed = [field for field in meta.concrete_fields if not field.primary_key and field not in sent]
    statement = _postgresql if connection.vendor == "postgresql" else _mysql
    statements = []
    for start in range(0, len(rows), STATEMENT_ROWS):
        chunk = rows[start:start + STATEMENT_ROWS]
        columns = {field: list(map(attrgetter(field.attname), chunk)) for field in sent}
        shared = {field: field.get_default() for field in fixed}
        shared.update((field, values[0]) for field, values in columns.items() if len(set(values)) == 1)
        varying = [field for field in sent if field not in shared]
        statements.append(statement(shared, varying, [columns[field] for field in varying], len(chunk)))
    return Upsert(statements=statements)


@dataclass
class Upsert:
    """Rows to upsert: as statements ready to run (PostgreSQL, MySQL/MariaDB), or the rows (elsewhere)."""

    statements: list | tuple = ()
    rows: list | tuple = ()

    def __call__(self):
        if self.rows:
            with_target = connection.features.supports_update_conflicts_with_target
            target = ["run", "course_id"] if with_target else None
            ReportRunCourse.objects.bulk_create(
                [row.as_model() if isinstance(row, NewRow) else row for row in self.rows],
                batch_size=STATEMENT_ROWS, update_conflicts=True, unique_fields=target,
                update_fields=OUTCOME_FIELDS,
            )
        if self.statements:
            with connection.cursor() as cursor:
                for sql, params in self.statements:
                    cursor.execute(sql, params)


def _head(shared, varying):
    """Return the statement's ``INSERT INTO ... (columns)`` and its conflict clause."""
    meta, ops = ReportRunCourse._meta, connection.ops
    sent = [meta.get_field(name) for name in INSERT_FIELDS]
    conflict = ops.on_conflict_suffix_sql(
        sent, OnConflict.UPDATE, [meta.get_field(name).column for name in OUTCOME_FIELDS],
        [meta.get_field("run").column, meta.get_field("course_id").column],
    )
    columns = ", ".join(ops.quote_name(field.column) for field in [*shared, *varying])
    return f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns})", conflict


def _postgresql(shared, varying, columns, count):
    insert, conflict = _head(shared, varying)
    # Without its length: a value too long is refused by the insert, not cut by the cast.
    casts = [f"(value->>{at})::{field.db_type(connection).split('(')[0]}" for at, field in enumerate(varying)]
    texts = {}
    columns = [_iso_datetimes(values, texts) if _is_datetime(field) else values
               for field, values in zip(varying, columns, strict=True)]
    values = json.dumps(list(zip(*columns, strict=True)) if columns else [[]] * count)
    return (
        f"{insert} SELECT {', '.join(['%s'] * len(shared) + casts)} "
        f"FROM json_array_elements(%s::json) AS value {conflict}",
        [*(field.get_db_prep_save(value, connection) for field, value in shared.items()), values],
    )


def _mysql(shared, varying, columns, count):
    insert, conflict = _head(shared, varying)
    driver = connection.connection
    literals = [
        driver.literal(field.get_db_prep_save(value, connection)).decode(driver.encoding).replace("%", "%%")
        for field, value in shared.items()
    ]
    one = f"({', '.join(literals + ['%s'] * len(varying))})"
    texts = {}
    columns = [_naive_datetimes(values, texts) if _is_datetime(field) else values
               for field, values in zip(varying, columns, strict=True)]
    return (
        f"{insert} VALUES {', '.join([one] * count)} {conflict}",
        [value for row in zip(*columns, strict=True) for value in row],
    )


def _is_datetime(field):
    return field.get_internal_type() == "DateTimeField"


def _iso_datetimes(values, texts):
    """
    Return the datetimes as PostgreSQL reads them from text (``timestamp with time zone``).

    Each moment is written once (``texts`` keeps them): a batch's course starts as the one
    before it ends.
    """
    return [None if value is None else texts.get(value) or texts.setdefault(value, value.isoformat())
            for value in values]


def _naive_datetimes(values, texts):
    """
    Return the datetimes as text in the connection's time zone, as Django's MySQL adapter does.

    Written out: the adapter costs more than the database's own work for a row. Each moment is
    written once (``texts`` keeps them).
    """
    if not settings.USE_TZ:
        return [value if value is None else str(value) for value in values]
    zone = connection.timezone
    if any(value is not None and value.tzinfo is None for value in values):
        raise ValueError("MySQL backend does not support timezone-naive datetimes when USE_TZ is True.")
    return [None if value is None else texts.get(value)
            or texts.setdefault(value, str(value.astimezone(zone).replace(tzinfo=None))) for value in values]
