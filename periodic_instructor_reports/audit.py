"""
Who created, changed, paused, resumed, ran now or deleted a schedule, and when: Django's admin log.

Each action is one ``LogEntry`` row on the schedule, so administrators read it in the schedule's
admin history page as they read their own changes.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

# Action -> (the admin log's flag, the words that start its message; stored untranslated, as the
# admin stores its own messages, and looked for by what reads the log).
ACTIONS = {
    "created": (ADDITION, "Created"),
    "changed": (CHANGE, "Changed"),
    "paused": (CHANGE, "Paused"),
    "resumed": (CHANGE, "Resumed"),
    "ran_now": (CHANGE, "Ran now"),
    "deleted": (DELETION, "Deleted"),
}


def label(action):
    """Return the words an ``action``'s log message starts with."""
    return ACTIONS[action][1]


def record(*, user, schedule, action, message=""):
    """
    Write one admin log row saying ``user`` did ``action`` to ``schedule``; return the row.

    Call it with the schedule still holding its id (before deleting it).

    Raises:
        ValueError: ``action`` is not one of ``ACTIONS``.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    flag, words = ACTIONS[action]
    return LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(schedule, for_concrete_model=False),
        object_id=str(schedule.pk),
        object_repr=str(schedule)[:200],
        action_flag=flag,
        change_message=f"{words}." + (f" {message}" if message else ""),
    )
