"""Report tasks that may be scheduled, the schedules that run them, and the history of their runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from periodic_instructor_reports import validators
from periodic_instructor_reports.states import (
    CourseState,
    FolderStructure,
    Notify,
    Outcome,
    RunStatus,
    Trigger,
)


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


class PeriodicReportSchedule(models.Model):
    """
    When and for which courses a report task runs, and where its files go.

    .. no_pii:
    """

    name = models.CharField(
        max_length=200, default="", validators=[validators.validate_safe_text],
        help_text=_("What people call this schedule, e.g. “Weekly grades of the spring courses”."),
    )
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
        default=list, blank=True,
        validators=[validators.validate_course_ids],
        help_text=_(
            'Courses and CCXs, listed by id (scripts and the API give a JSON list, for example '
            '["course-v1:AB+CD+06+2020", "ccx-v1:AB+CD+06+2020+ccx@3"]).'
        ),
    )
    course_orgs = models.JSONField(
        default=list, blank=True,
        help_text=_(
            'Also every course of these organisations (a JSON list, e.g. ["edX"]), chosen again at each '
            "run from the platform's courses, with the state below."
        ),
    )
    course_state = models.CharField(
        max_length=16, choices=CourseState.choices, blank=True, default="",
        help_text=_("Also the platform's courses in this state (of the organisations above, if any), "
                    "at each run."),
    )
    course_state_days = models.PositiveIntegerField(
        default=30, help_text=_("The number of days of “starting within” and “ended within”."),
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
        choices=FolderStructure.choices,
        default=FolderStructure.REGULAR,
        help_text=_(
            "regular: prefix + hashed course id (with an empty prefix, the instructor "
            "dashboard's own folder); by_date: prefix + run date (yyyy-mm-dd); flat: prefix only."
        ),
    )
    recipients = models.JSONField(
        default=list, blank=True, validators=[validators.validate_recipients],
        help_text=_(
            'JSON list of e-mail addresses told about runs, for example ["data@example.com"]. '
            "E-mails link to the reports (logging in is needed to download them), never attach them."
        ),
    )
    notify = models.CharField(
        max_length=16, choices=Notify.choices, default=Notify.FAILURES,
        help_text=_("When the recipients are e-mailed. The owner is always told about failures."),
    )
    enabled = models.BooleanField(default=True, help_text=_("Paused schedules do not run."))
    anchor = models.DateTimeField(
        default=timezone.now, editable=False,
        help_text=_(
            "An interval schedule is due at whole intervals after this moment: when it was "
            "created, its interval changed or it was resumed. A crontab schedule is due at its "
            "times after it."
        ),
    )
    run_now_requested_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When a manual run was last queued: the next waits for the run-now cooldown."),
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Periodic report schedule")
        verbose_name_plural = _("Periodic report schedules")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="pir_schedule_name_per_owner"),
        ]

    def __str__(self):
        return self.name or f"schedule {self.pk}"

    @property
    def selects_courses(self):
        """Return whether the schedule also chooses courses from the platform's at each run."""
        return bool(self.course_orgs or self.course_state)

    def clean_fields(self, exclude=None):
        validators.validate_json_depth(self)
        super().clean_fields(exclude=exclude)


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

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="courses")
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
