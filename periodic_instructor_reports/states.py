"""
The plugin's one vocabulary: every state it stores, and what a dispatch can come to.

Each stored word is a ``TextChoices`` the models' fields take their choices from, so a value is
written and compared by name everywhere. The values are stored in databases of every earlier
release: they never change. What a dispatch comes to (``Dispatch``) is returned, logged and kept
by Celery's result backend, never stored in a row.
"""

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    """Where a run is: submitting, waiting to retry, generating, or one of its ends."""

    RUNNING = "running", _("running")
    RETRYING = "retrying", _("waiting to retry")
    GENERATING = "generating", _("generating reports")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused")
    ERROR = "error", _("dispatcher error")
    SKIPPED = "skipped", _("skipped: too soon")


# A run in one of these still has courses to submit; it is resumed if it stops making progress.
UNFINISHED = (RunStatus.RUNNING, RunStatus.RETRYING)
# A run in one of these is not over: a manual run waits for it.
IN_PROGRESS = (*UNFINISHED, RunStatus.GENERATING)


class Outcome(models.TextChoices):
    """
    What happened to one course of a run.

    ``pending`` (not tried yet, or to try again) and ``submitting`` (the intent, recorded before
    the platform is called) are steps of a run in progress; ``submitted`` means the platform
    queued the report and is generating it. The others are ends: ``generated`` (the file
    exists), ``report_failed`` (the platform's task failed), ``lost`` (it never finished), and
    what a submission itself ended with.
    """

    PENDING = "pending", _("pending")
    SUBMITTING = "submitting", _("submitting")
    SUBMITTED = "submitted", _("submitted")
    GENERATED = "generated", _("generated")
    REPORT_FAILED = "report_failed", _("report failed")
    LOST = "lost", _("lost")
    ALREADY_RUNNING = "already_running", _("already running")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")
    REFUSED = "refused", _("refused")


# Outcomes a run still has work to do for.
OPEN = (Outcome.PENDING, Outcome.SUBMITTING)
# Ends where the report was not produced: the owner is always told about them.
NOT_PRODUCED = (
    Outcome.FAILED, Outcome.REFUSED, Outcome.REPORT_FAILED, Outcome.LOST, Outcome.ALREADY_RUNNING,
    Outcome.SKIPPED,
)


class Trigger(models.TextChoices):
    """What started a run."""

    BEAT = "beat", _("celery beat")
    MANUAL = "manual", _("run now")
    CRON = "cron", _("cron command")
    CATCH_UP = "catch_up", _("caught up")


# Triggers that follow the schedule's own times (as opposed to a deliberate "run now").
AUTOMATIC = (Trigger.BEAT, Trigger.CRON, Trigger.CATCH_UP)


class FolderStructure(models.TextChoices):
    """How a schedule's folder is named: by course (the dashboard's), by run date, or the prefix only."""

    REGULAR = "regular", "regular"
    BY_DATE = "by_date", "by_date"
    FLAT = "flat", "flat"


class Notify(models.TextChoices):
    """When a schedule's recipients are e-mailed."""

    ALWAYS = "always", _("after every run")
    FAILURES = "failures", _("only when a course's report was not produced")
    NEVER = "never", _("never")


class CourseState(models.TextChoices):
    """Which of the platform's courses a schedule also takes at each run, by their dates."""

    NONE = "", _("no selection: the listed courses only")
    ALL = "all", _("all courses")
    RUNNING = "running", _("running now")
    STARTING = "starting", _("starting within the number of days")
    ENDED = "ended", _("ended within the number of days")


class Dispatch(enum.StrEnum):
    """What starting or working on a run came to, besides the run's own status (never stored)."""

    STARTED = "started"
    MISSING = "missing"
    DISABLED = "disabled"
    TOO_SOON = "too_soon"
    ALREADY_RAN = "already_ran"
    BUSY = "busy"
    REFUSED = "refused"
    HANDED_OVER = "handed_over"
    BROKER_UNAVAILABLE = "broker unavailable"
    # Another holder took the run over: this one stops (the run goes on there).
    TAKEN_OVER = "lost"
