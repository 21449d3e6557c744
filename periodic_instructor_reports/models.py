"""Report tasks that may be scheduled, and the schedules that run them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import IntervalSchedule, PeriodicTask

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
        related_name="+",
        help_text=_("How often the report is generated."),
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
