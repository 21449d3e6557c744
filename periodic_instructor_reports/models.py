"""Report tasks that may be scheduled, the schedules that run them, and the history of their runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from periodic_instructor_reports import validators


class PeriodicReportTask(models.Model):
    """
    A report function that schedules may run, named by its dotted path.

    .. no_pii:
    """

    name = models.CharField(
        max_length=254,
        help_text=_("Name of the task. Used for representation purposes on the Admin UI."),
    )
    path = models.CharField(
        max_length=254,
        help_text=_(
            "Python path of the function called periodically. Example: "
            "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
        ),
    )
    requires_request = models.BooleanField(
        default=False,
        help_text=_("Indicates if the function takes a request as its first argument."),
    )

    class Meta:
        verbose_name = _("Periodic report task")
        verbose_name_plural = _("Periodic report tasks")
        unique_together = [("name", "path")]

    def __str__(self):
        return self.name

    def clean(self):
        validators.validate_report_task(self)


class PeriodicReportSchedule(models.Model):
    """
    When and for which courses a report task runs, and where its files go.

    .. no_pii:
    """

    STRUCTURE_REGULAR = "regular"
    STRUCTURE_BY_DATE = "by_date"
    STRUCTURE_FLAT = "flat"
    STRUCTURE_CHOICES = [
        (STRUCTURE_REGULAR, "regular"),
        (STRUCTURE_BY_DATE, "by_date"),
        (STRUCTURE_FLAT, "flat"),
    ]

    task = models.ForeignKey(
        PeriodicReportTask,
        on_delete=models.CASCADE,
        related_name="schedules",
        help_text=_("The report to generate."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="periodic_report_schedules",
        help_text=_("The user the reports are requested as; defaults to you."),
    )
    celery_task = models.ForeignKey(
        PeriodicTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The celery beat entry kept in step with this schedule."),
    )
    interval = models.ForeignKey(
        IntervalSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("How often the report is generated. Choose an interval or a crontab, not both."),
    )
    crontab = models.ForeignKey(
        CrontabSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "When the report is generated, for example every Monday at 07:00 in the crontab's "
            "time zone, which is also the time zone of by_date folders. Choose an interval or a "
            "crontab, not both."
        ),
    )
    course_ids = models.JSONField(
        default=list,
        validators=[validators.validate_course_ids],
        error_messages={"blank": validators.COURSE_IDS_MESSAGE},
        help_text=_(
            'JSON list of course and CCX ids, for example '
            '["course-v1:AB+CD+06+2020", "ccx-v1:AB+CD+06+2020+ccx@3"].'
        ),
    )
    arguments = models.JSONField(
        default=list,
        null=True,
        blank=True,
        help_text=_("JSON list of extra positional arguments passed after the course key."),
    )
    keyword_arguments = models.JSONField(
        default=dict,
        null=True,
        blank=True,
        help_text=_('JSON object of keyword arguments, for example {"features": ["id", "email"]}.'),
    )
    include_ccx = models.BooleanField(
        default=False,
        help_text=_("Also generate the report for every CCX of the listed courses."),
    )
    only_ccx = models.BooleanField(
        default=False,
        help_text=_("Generate the report only for the CCXs of the listed courses."),
    )
    upload_folder_prefix = models.CharField(
        max_length=254,
        default="",
        blank=True,
        validators=[validators.validate_upload_folder_prefix],
        help_text=_(
            "Prefix of the upload folder. A prefix ending with a slash (periodic-reports/) "
            "makes a folder; without one it is glued to the folder name (periodic-)."
        ),
    )
    upload_folder_structure = models.CharField(
        max_length=32,
        choices=STRUCTURE_CHOICES,
        default=STRUCTURE_REGULAR,
        help_text=_(
            "regular: prefix + hashed course id (with an empty prefix, the instructor "
            "dashboard's own folder); by_date: prefix + run date (yyyy-mm-dd); flat: prefix only."
        ),
    )
    enabled = models.BooleanField(default=True, help_text=_("Paused schedules do not run."))
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Periodic report schedule")
        verbose_name_plural = _("Periodic report schedules")

    def __str__(self):
        return f"{self.task.name} #{self.pk}"

    def clean(self):
        validators.validate_schedule(self)


class ReportRun(models.Model):
    """
    One dispatch of a schedule: when it was planned, started and finished, and how it went.

    Kept when its schedule is deleted (detached, with the schedule's name, report and owner id
    copied onto it); runs older than the retention setting are pruned.

    .. no_pii:
    """

    TRIGGER_BEAT = "beat"
    TRIGGER_MANUAL = "manual"
    TRIGGER_CRON = "cron"
    TRIGGER_CHOICES = [
        (TRIGGER_BEAT, _("celery beat")),
        (TRIGGER_MANUAL, _("run now")),
        (TRIGGER_CRON, _("cron command")),
    ]
    # Triggers that follow the schedule's own times (as opposed to a deliberate "run now").
    AUTOMATIC_TRIGGERS = (TRIGGER_BEAT, TRIGGER_CRON)

    STATUS_RUNNING = "running"
    STATUS_RETRYING = "retrying"
    STATUS_DONE = "done"
    STATUS_REFUSED = "refused"
    STATUS_ERROR = "error"
    STATUS_SKIPPED = "skipped"
    STATUS_CHOICES = [
        (STATUS_RUNNING, _("running")),
        (STATUS_RETRYING, _("waiting to retry")),
        (STATUS_DONE, _("done")),
        (STATUS_REFUSED, _("refused")),
        (STATUS_ERROR, _("dispatcher error")),
        (STATUS_SKIPPED, _("skipped: too soon")),
    ]

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
    trigger = models.CharField(max_length=16, choices=TRIGGER_CHOICES)
    planned_at = models.DateTimeField(
        help_text=_("The due time this run is for; a schedule runs at most once per due time."),
    )
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=STATUS_RUNNING)
    counts = models.JSONField(
        default=dict, blank=True,
        help_text=_("How many courses ended with each outcome (their latest attempt)."),
    )
    error = models.CharField(max_length=500, blank=True, default="")
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Report run")
        verbose_name_plural = _("Report runs")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "planned_at"], name="pir_run_once_per_due_time"),
        ]
        indexes = [models.Index(fields=["status", "started_at"], name="pir_run_status_started")]

    def __str__(self):
        return f"Run {self.pk} of {self.schedule_label}"

    @property
    def schedule_label(self):
        """Return the schedule's name, marked as deleted once the schedule is gone."""
        if self.schedule_id is None:
            return f"{self.schedule_name or 'a schedule'} (deleted)"
        return self.schedule_name or f"schedule {self.schedule_id}"


class ReportRunCourse(models.Model):
    """
    One attempt of a run for one course: its outcome, the platform task id and an error summary.

    .. no_pii:
    """

    SUBMITTED = "submitted"
    ALREADY_RUNNING = "already_running"
    FAILED = "failed"
    SKIPPED = "skipped"
    REFUSED = "refused"
    OUTCOME_CHOICES = [
        (SUBMITTED, _("submitted")),
        (ALREADY_RUNNING, _("already running")),
        (FAILED, _("failed")),
        (SKIPPED, _("skipped")),
        (REFUSED, _("refused")),
    ]

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="courses")
    course_id = models.CharField(max_length=255)
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES)
    task_id = models.CharField(
        max_length=255, blank=True, default="",
        help_text=_("The platform's instructor task id, when the report function returned one."),
    )
    upload_parent_dir = models.CharField(max_length=300, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Report run course")
        verbose_name_plural = _("Report run courses")
        indexes = [
            models.Index(fields=["course_id", "started_at"], name="pir_runcourse_course"),
            models.Index(fields=["outcome", "started_at"], name="pir_runcourse_outcome"),
            models.Index(fields=["started_at"], name="pir_runcourse_started"),
        ]

    def __str__(self):
        return f"{self.course_id} (run {self.run_id}, attempt {self.attempt})"
