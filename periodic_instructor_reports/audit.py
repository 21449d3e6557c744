"""
Who did what to a schedule: entries of Django's admin log, shown in the schedule's history.

Every write of ``api.py`` records one, so the admin, the command line and any other caller of the
API leave the same trail. The schedule's admin does not log its own entries besides these.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

from periodic_instructor_reports.lengths import fit
from periodic_instructor_reports.models import PeriodicReportSchedule

__all__ = ["ACTIONS", "record"]

# Action -> (the admin log's flag, what the history says).
ACTIONS = {
    "created": (ADDITION, "Created."),
    "changed": (CHANGE, "Changed."),
    "paused": (CHANGE, "Paused."),
    "resumed": (CHANGE, "Resumed."),
    "ran_now": (CHANGE, "Run now requested."),
    "deleted": (DELETION, "Deleted."),
}


def record(*, user, schedule: PeriodicReportSchedule, action: str, message: str = "") -> LogEntry:
    """
    Record that ``user`` did ``action`` to ``schedule``, in the admin log the schedule's history shows.

    Call it before a deletion, while the schedule still has its id.

    Arguments:
        user: the user acting (a saved ``User``).
        schedule: the schedule acted on (saved).
        action: one of ``created``, ``changed``, ``paused``, ``resumed``, ``ran_now``, ``deleted``.
        message: more detail, appended to the action's own words.

    Returns:
        LogEntry: the entry written.

    Raises:
        ValueError: an unknown action, or an unsaved schedule.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if schedule.pk is None:
        raise ValueError("an unsaved schedule has no history to record in")
    flag, words = ACTIONS[action]
    return LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(PeriodicReportSchedule),
        object_id=str(schedule.pk),
        object_repr=fit(LogEntry, "object_repr", str(schedule)),
        action_flag=flag,
        change_message=f"{words} {message}".strip(),
    )
