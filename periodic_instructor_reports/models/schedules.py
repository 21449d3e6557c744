"""Report tasks that may be scheduled, and the schedules that run them."""

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
    max_in_flight = models.PositiveIntegerField(
        null=True, blank=True,
        help_text=_("At most this many of this schedule's reports generating at once, within the site's "
                    "cap; empty for no limit of its own."),
    )
    finish_within = models.DurationField(
        null=True, blank=True,
        help_text=_("How long after its due time a run should be over, e.g. 4:00:00 for a 02:00 run to end "
                    "by 06:00. A run that cannot says so early, on its page and in its e-mail."),
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
