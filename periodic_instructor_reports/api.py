"""
The one write path for report tasks and schedules.

Each write validates, saves and keeps the schedule's celery beat row in step in one transaction.
"""

import logging

from celery import current_app
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from periodic_instructor_reports import (
    audit,
    beat,
    conf,
    describe,
    permissions,
    reports,
    schedule_rules,
    sending,
    states,
)
from periodic_instructor_reports.exceptions import BrokerUnavailable, RunNowRefused
from periodic_instructor_reports.lengths import fit
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from periodic_instructor_reports.states import RunStatus, Trigger

log = logging.getLogger(__name__)

# Seconds "run now" waits for the broker before saying it is unreachable.
BROKER_TIMEOUT = 5

__all__ = [
    "create_report_task",
    "save_report_task",
    "delete_report_task",
    "create_schedule",
    "update_schedule",
    "save_schedule",
    "set_schedules_enabled",
    "pause_schedules",
    "resume_schedules",
    "run_schedules_now",
    "run_now_refusal",
    "delete_schedule",
]

SCHEDULE_FIELDS = {
    "task", "owner", "interval", "crontab", "course_ids", "arguments", "keyword_arguments", "include_ccx",
    "only_ccx", "upload_folder_prefix", "upload_folder_structure", "enabled", "recipients", "notify",
    "name", "course_orgs", "course_state", "course_state_days", "max_in_flight", "finish_within",
}


def create_report_task(
    *, acting_user, name: str, path: str, requires_request: bool | None = None
) -> PeriodicReportTask:
    """
    Register a report function schedules may run.

    ``requires_request`` follows the function's signature when not given.

    Raises:
        PermissionDenied: ``acting_user`` is not a superuser.
        ValidationError: the path is not allowed, does not import or does not fit.
    """
    task = PeriodicReportTask(name=name, path=path, requires_request=requires_request)
    return save_report_task(task, acting_user=acting_user)


def save_report_task(task: PeriodicReportTask, *, acting_user) -> PeriodicReportTask:
    """
    Validate and save a new or changed report task.

    The registry says which platform functions may be called with learner data: superusers only.

    Raises:
        PermissionDenied: ``acting_user`` is not a superuser.
        ValidationError: the path is not allowed, does not import, does not fit the request
            setting or the arguments of the task's schedules.
    """
    permissions.check_report_task_change(acting_user)
    if task.requires_request is None:
        task.requires_request = reports.signature_requires_request(task.path)
    schedule_rules.check_report_task(task)
    task.save()
    log.info("User %s saved periodic report task %s.", acting_user.pk, task.pk)
    return task


@transaction.atomic
def delete_report_task(task: PeriodicReportTask, *, acting_user) -> None:
    """
    Delete a report task with its schedules and their beat rows.

    Raises:
        PermissionDenied: ``acting_user`` is not a superuser.
    """
    permissions.check_report_task_change(acting_user)
    task_id = task.pk
    task.delete()
    log.info("User %s deleted periodic report task %s and its schedules.", acting_user.pk, task_id)


def create_schedule(*, acting_user, **fields) -> PeriodicReportSchedule:
    """
    Create a schedule and its beat row, on behalf of ``acting_user``.

    Keyword arguments are the schedule's fields: ``task``, ``owner``, ``interval`` or
    ``crontab`` (exactly one), ``course_ids`` and optionally ``arguments``,
    ``keyword_arguments``, ``include_ccx``, ``only_ccx``, ``upload_folder_prefix``,
    ``upload_folder_structure``, ``enabled``, ``max_in_flight``, ``finish_within``. Only a
    superuser may name another user as ``owner``; anyone else becomes the owner.

    Raises:
        PermissionDenied: a non-superuser named someone else as the owner.
        ValidationError: a field is invalid; nothing is saved.
        TypeError: an unknown field was given.
    """
    unknown = set(fields) - SCHEDULE_FIELDS
    if unknown:
        raise TypeError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    return save_schedule(PeriodicReportSchedule(**fields), acting_user=acting_user)


def update_schedule(schedule: PeriodicReportSchedule, *, acting_user, **changes) -> PeriodicReportSchedule:
    """
    Change some fields of a schedule on behalf of ``acting_user`` and keep its beat row in step.

    Raises:
        PermissionDenied: a non-superuser named someone else as the owner.
        ValidationError: a field is invalid; nothing is saved.
        TypeError: an unknown field was given.
    """
    unknown = set(changes) - SCHEDULE_FIELDS
    if unknown:
        raise TypeError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    owner = changes.get("owner")
    if owner is not None and owner.pk != acting_user.pk and not permissions.is_superuser(acting_user):
        raise PermissionDenied("Only superusers may make someone else the owner of a schedule.")
    for name, value in changes.items():
        setattr(schedule, name, value)
    return save_schedule(schedule, acting_user=acting_user)


def save_schedule(schedule: PeriodicReportSchedule, *, acting_user) -> PeriodicReportSchedule:
    """
    Validate and save a new or changed schedule on behalf of ``acting_user``, then its beat row.

    Only superusers may make someone else the owner: anyone else who saves a schedule becomes
    its owner, and must be entitled to the data of its courses. Changes of owner are logged with
    both user ids. The schedule's history (the admin log) records who created or changed it and
    which fields changed. Past runs keep the name the schedule had when they ran.

    Raises:
        PermissionDenied: a non-superuser named someone else as the owner of a new schedule.
        ValidationError: a field is invalid; nothing is saved.
    """
    permissions.apply_owner_rule(schedule, acting_user)
    if not schedule.name and schedule.task_id:
        schedule.name = _free_name(schedule)
    schedule_rules.check_schedule(schedule)
    with transaction.atomic():
        before = PeriodicReportSchedule.objects.filter(pk=schedule.pk).values(
            *_audited_columns(), "owner__username",
        ).first() if schedule.pk else None
        if before and _times_change(schedule, before):
            schedule.anchor = timezone.now()
        schedule.save()
        beat.sync(schedule)
        if before:
            audit.record(user=acting_user, schedule=schedule, action="changed",
                         message=_changes(before, schedule))
        else:
            audit.record(user=acting_user, schedule=schedule, action="created")
    if before and before["owner_id"] != schedule.owner_id:
        log.warning("User %s made user %s the owner of periodic report schedule %s (was user %s).",
                    acting_user.pk, schedule.owner_id, schedule.pk, before["owner_id"])
    log.info("User %s saved periodic report schedule %s.", acting_user.pk, schedule.pk)
    return schedule


def _audited_columns():
    """Return the columns of the schedule's own fields, whose changes its history records."""
    fields = PeriodicReportSchedule._meta.concrete_fields
    return [field.attname for field in fields if field.name in SCHEDULE_FIELDS]


def _changes(before, schedule):
    """Return what saving ``schedule`` changed since ``before`` (its stored values), for its history."""
    changed = [column.removesuffix("_id") for column in _audited_columns()
               if before[column] != getattr(schedule, column)]
    if not changed:
        return "No fields changed."
    text = f"Fields: {', '.join(changed)}."
    if before["owner_id"] != schedule.owner_id:
        text += f" Owner changed from {before['owner__username']} to {schedule.owner.username}."
    return text


def _free_name(schedule):
    """Return a name for a schedule given none: its report's, numbered if the owner has one so named."""
    taken = set(PeriodicReportSchedule.objects.filter(
        owner_id=schedule.owner_id, name__startswith=schedule.task.name,
    ).exclude(pk=schedule.pk).values_list("name", flat=True))
    name, number = fit(PeriodicReportSchedule, "name", schedule.task.name), 2
    while name in taken:
        suffix = f" ({number})"
        name = fit(PeriodicReportSchedule, "name", schedule.task.name, leaving=len(suffix)) + suffix
        number += 1
    return name


def _times_change(schedule, before):
    """Return whether saving ``schedule`` restarts its due times: a new interval or crontab, or a resume."""
    return (
        (before["interval_id"], before["crontab_id"]) != (schedule.interval_id, schedule.crontab_id)
        or (schedule.enabled and not before["enabled"])
    )


def set_schedules_enabled(schedules, *, enabled: bool, acting_user) -> int:
    """
    Pause or resume schedules and their beat rows in bulk for ``acting_user``; return how many changed.

    Each schedule that changes gets a "paused" or "resumed" entry in its history.

    Arguments:
        schedules: a queryset or iterable of ``PeriodicReportSchedule``.
        enabled: True to resume, False to pause.
        acting_user: the user pausing or resuming them.
    """
    with transaction.atomic():
        changing = [schedule for schedule in schedules if schedule.enabled != enabled]
        if not changing:
            return 0
        now = timezone.now()
        # A resumed schedule's due times start again from the resume.
        anchor = {"anchor": now} if enabled else {}
        PeriodicReportSchedule.objects.filter(pk__in=[s.pk for s in changing]).update(
            enabled=enabled, modified=now, **anchor
        )
        beat.set_enabled(changing, enabled, now=now)
        for schedule in changing:
            schedule.enabled = enabled
            if enabled:
                schedule.anchor = now
            if schedule.celery_task_id is None:
                beat.sync(schedule)
            audit.record(user=acting_user, schedule=schedule, action="resumed" if enabled else "paused")
    log.info("User %s set enabled=%s on %s periodic report schedules.",
             acting_user.pk, enabled, len(changing))
    return len(changing)


def pause_schedules(schedules, *, acting_user) -> int:
    """
    Pause schedules: disable their beat rows so they stop running; return how many changed.

    The dispatcher re-checks, so a run beat sent before the pause does nothing. "Run now" still
    runs a paused schedule.
    """
    return set_schedules_enabled(schedules, enabled=False, acting_user=acting_user)


def resume_schedules(schedules, *, acting_user) -> int:
    """Resume paused schedules and enable their beat rows; return how many changed."""
    return set_schedules_enabled(schedules, enabled=True, acting_user=acting_user)


def run_now_refusal(schedule: PeriodicReportSchedule, *, now=None) -> str:
    """
    Return why a manual run of ``schedule`` may not be queued now, or "".

    Not while a run of it is in progress (running, waiting to retry or generating its reports),
    and not sooner than the run-now cooldown after the last manual run was queued: each run asks
    the platform for a report of every course, which the minimum interval keeps to a measure.
    """
    busy = ReportRun.objects.filter(
        schedule_id=schedule.pk, status__in=(*states.UNFINISHED, RunStatus.GENERATING),
    ).order_by("-started_at").values_list("pk", flat=True).first()
    if busy is not None:
        return _("%(schedule)s: its run %(run)s is in progress; run it again once that run is done.") % {
            "schedule": schedule, "run": busy,
        }
    cooldown = conf.run_now_cooldown()
    last = schedule.run_now_requested_at
    since = ((now or timezone.now()) - last).total_seconds() if last is not None else None
    if since is not None and since < cooldown:
        return _(
            "%(schedule)s: a manual run was queued %(since)s ago; manual runs of one schedule are at "
            "least %(cooldown)s apart (the PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN setting): "
            "try again in %(wait)s."
        ) % {
            "schedule": schedule, "since": describe.duration_text(since),
            "cooldown": describe.duration_text(cooldown), "wait": describe.duration_text(cooldown - since),
        }
    return ""


def run_schedules_now(schedules, *, acting_user) -> int:
    """
    Queue one run of each schedule (paused ones too), recorded as a manual run asked by ``acting_user``.

    All or nothing when a schedule may not run now (``run_now_refusal``: a run in progress, or
    the cooldown since its last manual run). The broker is reached once, with a few seconds'
    limit and no retries, before anything is sent, so an unreachable broker queues nothing and
    answers at once. Each queued run is recorded in its schedule's history and stamps the
    schedule's ``run_now_requested_at``. The messages go out at once: call this after the
    transaction that created the schedules has committed.

    Returns:
        int: how many runs were queued.

    Raises:
        RunNowRefused: some schedules may not run now (``refusals`` says why); nothing was queued.
        BrokerUnavailable: the broker could not be reached (nothing was queued) or failed part-way
            (``queued`` lists the schedule ids that were).
    """
    schedule_ids = [schedule.pk for schedule in schedules]
    with current_app.connection_for_write() as connection:
        try:
            connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
        except (BrokerError, OSError) as err:
            log.error("Could not queue a manual run of periodic report schedules %s: %s", schedule_ids, err)
            raise BrokerUnavailable(f"The Celery broker is unreachable ({err}); nothing was queued.") from err
        with transaction.atomic():
            locked, now = _runnable_now(schedule_ids, acting_user)
            queued, failure = _queue_manual_runs(locked, now, acting_user, connection)
    if failure is not None:
        log.error("Queued a manual run of periodic report schedules %s only, then: %s", queued, failure)
        raise BrokerUnavailable(
            f"The Celery broker failed after {len(queued)} of {len(schedule_ids)} runs were "
            f"queued ({failure}).", queued=queued,
        ) from failure
    log.info("User %s queued a manual run of periodic report schedules %s.", acting_user.pk, queued)
    return len(queued)


def _runnable_now(schedule_ids, acting_user):
    """
    Lock the schedules and return ``(schedules, now)``, or raise ``RunNowRefused`` if one may not run now.

    Locked, so two people pressing "run now" at once queue one run.
    """
    locked = list(PeriodicReportSchedule.objects.select_for_update().filter(pk__in=schedule_ids)
                  .select_related("task").order_by("pk"))
    now = timezone.now()
    refusals = {schedule.pk: run_now_refusal(schedule, now=now) for schedule in locked}
    refusals = {pk: reason for pk, reason in refusals.items() if reason}
    if refusals:
        log.info("User %s was refused a manual run of periodic report schedules %s.",
                 acting_user.pk, sorted(refusals))
        raise RunNowRefused(refusals)
    return locked, now


def _queue_manual_runs(locked, now, acting_user, connection):
    """Queue a manual run of each locked schedule; return ``(queued ids, the broker's error or None)``."""
    queued = []
    for schedule in locked:
        try:
            sending.send(
                beat.DISPATCH_TASK, args=[schedule.pk],
                kwargs={"trigger": Trigger.MANUAL, "requested_by": acting_user.pk},
                queue=conf.get("QUEUE"), connection=connection, retry=False,
            )
        except (BrokerError, OSError) as err:
            return queued, err
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(run_now_requested_at=now)
        audit.record(user=acting_user, schedule=schedule, action="ran_now")
        queued.append(schedule.pk)
    return queued, None


@transaction.atomic
def delete_schedule(schedule: PeriodicReportSchedule, *, acting_user) -> None:
    """Delete a schedule and its beat row (the delete signal removes the row), recorded in its history."""
    schedule_id = schedule.pk
    audit.record(user=acting_user, schedule=schedule, action="deleted")
    schedule.delete()
    log.info("User %s deleted periodic report schedule %s.", acting_user.pk, schedule_id)
