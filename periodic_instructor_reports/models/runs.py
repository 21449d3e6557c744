"""The history of schedules' runs: a row per run, its queue of courses, a row per course."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports.models.schedules import PeriodicReportSchedule
from periodic_instructor_reports.states import Outcome, RunStatus, Trigger


class ReportRun(models.Model):
    """
    One dispatch of a schedule: when it was planned, started and finished, and how it went.

    Kept when its schedule is deleted (detached, with the schedule's name, report and owner id
    copied onto it); runs older than the retention setting are pruned.

    .. no_pii:
    """

    schedule = models.ForeignKey(
        PeriodicReportSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs",
        help_text=_("Empty once the schedule was deleted; the run keeps its name, report and owner."),
    )
    schedule_name = models.CharField(max_length=255, blank=True, default="")
    report_name = models.CharField(max_length=254, blank=True, default="")
    report_path = models.CharField(max_length=254, blank=True, default="")
    owner_user_id = models.IntegerField(
        null=True, blank=True, help_text=_("The id of the user the reports were requested as."),
    )
    requested_by_user_id = models.IntegerField(
        null=True, blank=True, help_text=_("The id of the user who asked for a manual run."),
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    planned_at = models.DateTimeField(
        help_text=_("The due time this run is for; a schedule runs at most once per due time."),
    )
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    counts = models.JSONField(
        default=dict, blank=True,
        help_text=_("How many courses ended with each outcome (their latest attempt)."),
    )
    error = models.CharField(max_length=500, blank=True, default="")
    notified_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the run's e-mail was sent."),
    )
    note = models.CharField(
        max_length=500, blank=True, default="", help_text=_("What delivering the run's e-mail came to."),
    )
    course_total = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How many courses the run is for, once they are all recorded."),
    )
    missed = models.PositiveIntegerField(
        default=0, help_text=_("Earlier due times that passed without a run (workers or broker down)."),
    )
    holder = models.CharField(
        max_length=64, blank=True, default="", editable=False,
        help_text=_("The Celery task id working on the run; another worker takes over only once it stalls."),
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When the run last made progress, or when it is due to go on (a retry)."),
    )
    parked = models.BooleanField(
        default=False, editable=False,
        help_text=_("Waiting for a free slot: a report that ends hands the run on at once."),
    )
    reserved = models.PositiveIntegerField(
        default=0, editable=False,
        help_text=_("Slots of the site's cap the run holds for the submissions it is making now."),
    )
    finish_by = models.DateTimeField(
        null=True, blank=True,
        help_text=_("When the run should be over: its due time and its schedule's window."),
    )
    warning = models.CharField(
        max_length=500, blank=True, default="",
        help_text=_("What the run foresaw going wrong, such as not finishing in its window."),
    )
    pacing = models.JSONField(
        default=dict, blank=True,
        help_text=_("How the run was paced: its waits for a free slot, the most reports it had in flight."),
    )
    resumptions = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many times the run was resumed after a worker stopped."),
    )

    class Meta:
        verbose_name = _("Report run")
        verbose_name_plural = _("Report runs")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "planned_at"], name="pir_run_once_per_due_time"),
        ]
        indexes = [
            models.Index(fields=["status", "started_at"], name="pir_run_status_started"),
            models.Index(fields=["status", "heartbeat_at"], name="pir_run_status_heartbeat"),
        ]

    def __str__(self):
        return f"Run {self.pk} of {self.schedule_label}"

    @property
    def schedule_label(self):
        """Return the schedule's name, marked as deleted once the schedule is gone."""
        if self.schedule_id is None:
            return f"{self.schedule_name or 'a schedule'} (deleted)"
        return self.schedule_name or f"schedule {self.schedule_id}"


class ReportRunBatch(models.Model):
    """
    Up to 500 courses of a run still to submit, in order: the run's queue.

    A run records its courses as batches, one row per 500, before it submits any. Before the
    first course of a batch is submitted the batch records the intent (``submitting_since``);
    once its courses' outcomes are stored, one row per course, the batch is deleted. So each
    course row is written once, and a run interrupted anywhere is resumed from its batches: a
    course of a batch whose intent was recorded and that has no row yet may have reached the
    platform, and is looked up in the platform's task table before it is submitted again.

    .. no_pii:
    """

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField(help_text=_("The batch's place in the run, from 0."))
    course_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0, help_text=_("How many courses the batch holds."))
    submitting_since = models.DateTimeField(
        null=True, blank=True, help_text=_("When its first submission started (the intent)."),
    )

    class Meta:
        verbose_name = _("Report run batch")
        verbose_name_plural = _("Report run batches")
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="pir_runbatch_once_per_run"),
        ]

    def __str__(self):
        return f"Batch {self.number} of run {self.run_id}"


class ReportRunCourse(models.Model):
    """
    One course of a run: its outcome, how many attempts it took, the platform task id, the error.

    Written once a course has an outcome (its batch is done, ``ReportRunBatch``); a course tried
    again (the broker refused it, or the report was already running) is marked ``submitting``
    on its row before the platform is called, so a run interrupted anywhere can be resumed
    without losing or doubling a course.

    .. no_pii:
    """

    # No index of its own: the unique (run, course_id) one serves every lookup by run (ADR 0025).
    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="courses", db_index=False)
    course_id = models.CharField(max_length=255)
    attempt = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many times the report was requested for this course in this run."),
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    task_id = models.CharField(
        max_length=255, blank=True, default="",
        help_text=_("The platform's instructor task id, when the report function returned one."),
    )
    upload_parent_dir = models.CharField(max_length=300, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the latest attempt started (the intent to submit)."),
    )
    finished_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("When the course reached its outcome (the report's end, once followed)."),
    )
    expected_name = models.CharField(
        max_length=255, blank=True, default="",
        help_text=_("The start of the report's file name: course prefix and report name, before the time."),
    )
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_path = models.CharField(
        max_length=600, blank=True, default="", help_text=_("Where the report is in the report store."),
    )
    file_size = models.BigIntegerField(null=True, blank=True, help_text=_("Bytes."))
    error_file_path = models.CharField(
        max_length=600, blank=True, default="",
        help_text=_("Where the platform listed the learners it could not grade (the errors file)."),
    )
    ungraded = models.PositiveIntegerField(
        null=True, blank=True,
        help_text=_("How many learners the platform could not grade (not in the report)."),
    )
    platform_path = models.CharField(
        max_length=600, blank=True, default="",
        help_text=_(
            "Where the platform wrote a report the plugin copied to the schedule's folder (the "
            "course's own folder, listed on the instructor dashboard; never deleted by the plugin)."
        ),
    )

    class Meta:
        verbose_name = _("Report run course")
        verbose_name_plural = _("Report run courses")
        constraints = [
            models.UniqueConstraint(fields=["run", "course_id"], name="pir_runcourse_once_per_run"),
        ]
        indexes = [
            models.Index(fields=["course_id", "started_at"], name="pir_runcourse_course"),
            models.Index(fields=["outcome", "started_at"], name="pir_runcourse_outcome"),
            models.Index(fields=["started_at"], name="pir_runcourse_started"),
            models.Index(fields=["run", "outcome"], name="pir_runcourse_run_outcome"),
        ]

    def __str__(self):
        return f"{self.course_id} (run {self.run_id})"


class SlotGate(models.Model):
    """
    The one row dispatches lock while they count and reserve slots of the site's cap.

    Locking it (``SELECT ... FOR UPDATE``) makes two workers that pace runs at the same moment
    take turns, on PostgreSQL and MySQL alike, so together they never grant more than the cap.

    .. no_pii:
    """

    updated = models.DateTimeField(null=True, blank=True, help_text=_("When slots were last granted."))

    class Meta:
        verbose_name = _("Slot gate")
        verbose_name_plural = _("Slot gates")

    def __str__(self):
        return "Slot gate"
