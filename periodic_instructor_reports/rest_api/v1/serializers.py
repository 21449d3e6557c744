"""
What the course-team API reads and writes: reports, schedules, runs and their course rows.

Input serializers check shapes and types only (and refuse fields a course team may not set);
the rules of a schedule are ``schedule_rules``, which ``api.py`` checks, as for the admin.
"""

import datetime
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_celery_beat.models import PERIOD_CHOICES, CrontabSchedule, IntervalSchedule
from rest_framework import serializers

from periodic_instructor_reports import catalog, describe, timing
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.states import FolderStructure, Notify

# How deep the JSON of a report's arguments may nest (the catalog's arguments are at most a list).
MAX_ARGUMENT_DEPTH = 5
# How long an interval may be.
MAX_INTERVAL = datetime.timedelta(days=3660)
PERIOD_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 1e-6}


def json_depth(value):
    """Return how deep a JSON value nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def argument_names(report):
    """
    Return the keyword arguments a course team may give ``report``: those the catalog documents.

    The admin may give a report function any argument its signature takes (the platform's
    functions take ``**kwargs`` into the task's input); a course team, only the documented ones.
    """
    return sorted(set(re.findall(r"`(\w+)`", report.arguments)))


def check_argument_names(report, arguments):
    """
    Refuse keyword arguments ``report`` does not document.

    Raises:
        ValidationError (DRF, 400): naming the unknown ones and those it takes.
    """
    unknown = sorted(set(arguments or {}) - set(argument_names(report)))
    if unknown:
        raise serializers.ValidationError(
            {
                "arguments": [
                    _("The report %(report)s takes no argument %(names)s; it takes: %(known)s.")
                    % {
                        "report": report.task_type,
                        "names": ", ".join(unknown[:10]),
                        "known": ", ".join(argument_names(report)) or _("none"),
                    }
                ]
            }
        )


class WindowField(serializers.DurationField):
    """DRF's duration field, with a duration too large for Python refused as a bad value (not a 500)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:  # DRF before 3.15 lets it through; its later message, on every version
            raise serializers.ValidationError(
                _("The number of days must be between %(min)s and %(max)s.")
                % {"min": datetime.timedelta.min.days, "max": datetime.timedelta.max.days}
            ) from None


class ReportSerializer(serializers.Serializer):
    """A report of the catalog the caller may schedule on the course."""

    id = serializers.CharField(source="task_type", help_text="What schedules name this report by.")
    name = serializers.CharField()
    arguments = serializers.CharField(help_text="The arguments a schedule may give, in words.")
    argument_names = serializers.SerializerMethodField(help_text="The names of those arguments.")
    personal_data = serializers.CharField(help_text="The personal data the report holds.")
    permission = serializers.CharField(help_text="The platform permission the dashboard asks for it.")
    file_extension = serializers.CharField(source="extension")
    writes_to_schedule_folder = serializers.SerializerMethodField(
        help_text="False when the platform writes it to the course's own folder (it is then copied).",
    )

    def get_argument_names(self, report) -> list[str]:
        return argument_names(report)

    def get_writes_to_schedule_folder(self, report) -> bool:
        return report.support != catalog.COPIED


class IntervalSerializer(serializers.Serializer):
    """Every ``every`` ``period``."""

    every = serializers.IntegerField(min_value=1, max_value=10**6)
    period = serializers.ChoiceField(choices=[value for value, _label in PERIOD_CHOICES])

    def validate(self, attrs):
        if datetime.timedelta(seconds=attrs["every"] * PERIOD_SECONDS[attrs["period"]]) > MAX_INTERVAL:
            raise serializers.ValidationError(_("An interval may be at most ten years."))
        return attrs


class CrontabSerializer(serializers.Serializer):
    """Crontab fields as celery beat reads them, in a time zone (UTC unless given)."""

    minute = serializers.CharField(max_length=240, default="*")
    hour = serializers.CharField(max_length=96, default="*")
    day_of_week = serializers.CharField(max_length=64, default="*")
    day_of_month = serializers.CharField(max_length=124, default="*")
    month_of_year = serializers.CharField(max_length=64, default="*")
    timezone = serializers.CharField(max_length=63, default="UTC")

    def validate(self, attrs):
        try:
            CrontabSchedule(**attrs).full_clean()
        except DjangoValidationError as err:
            # The time zone field refuses an unknown zone when the row is built, without a field name.
            raise serializers.ValidationError(
                err.message_dict if hasattr(err, "error_dict") else {"timezone": err.messages}
            ) from err
        return attrs


class ScheduleInputSerializer(serializers.Serializer):
    """A schedule as a course team creates or changes it; anything else is refused by name."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    report = serializers.ChoiceField(choices=list(catalog.BY_TASK_TYPE), help_text="A report's id.")
    interval = IntervalSerializer(required=False, allow_null=True)
    crontab = CrontabSerializer(required=False, allow_null=True)
    arguments = serializers.JSONField(
        required=False,
        help_text="The report's keyword arguments, a JSON object (see the reports' arguments).",
    )
    include_ccx = serializers.BooleanField(required=False)
    only_ccx = serializers.BooleanField(required=False)
    upload_folder_prefix = serializers.CharField(max_length=254, required=False, allow_blank=True)
    upload_folder_structure = serializers.ChoiceField(
        choices=[value for value, _label in FolderStructure.choices],
        required=False,
    )
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=100
    )
    notify = serializers.ChoiceField(
        choices=[value for value, _label in Notify.choices],
        required=False,
    )
    max_in_flight = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="At most this many of its reports generating at once, within the site's cap; "
        "null for none.",
    )
    finish_within = WindowField(
        required=False, allow_null=True,
        help_text="How long after its due time a run should be over: an ISO 8601 duration (PT4H), "
        "[DD] HH:MM:SS or seconds; at least a minute, at most the time between two runs; null for none.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("A course team's schedule has no field %(name)s: it may set %(fields)s.")
                            % {"name": name, "fields": ", ".join(self.fields)}
                        ]
                        for name in unknown[:10]
                    }
                )
        return super().to_internal_value(data)

    def validate_arguments(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                _('Enter a JSON object, for example {} or {"filename": "grades"}.')
            )
        if json_depth(value) > MAX_ARGUMENT_DEPTH:
            raise serializers.ValidationError(
                _("The arguments nest more than %(depth)s levels deep.")
                % {
                    "depth": MAX_ARGUMENT_DEPTH,
                }
            )
        return value

    def validate(self, attrs):
        if not self.partial and not attrs.get("interval") and not attrs.get("crontab"):
            raise serializers.ValidationError({"interval": [_("Give an interval or a crontab.")]})
        if attrs.get("interval") and attrs.get("crontab"):
            raise serializers.ValidationError({"interval": [_("Give an interval or a crontab, not both.")]})
        return attrs

    def schedule_fields(self):
        """Return the validated data as ``api.py`` schedule fields (interval and crontab rows got or made)."""
        data = dict(self.validated_data)
        fields = {}
        if "report" in data:
            data.pop("report")
        if "arguments" in data:
            fields["keyword_arguments"] = data.pop("arguments")
        interval, crontab = data.pop("interval", None), data.pop("crontab", None)
        if interval:
            fields["interval"] = IntervalSchedule.objects.get_or_create(**interval)[0]
            fields["crontab"] = None
        if crontab:
            fields["crontab"] = CrontabSchedule.objects.get_or_create(**crontab)[0]
            fields["interval"] = None
        fields.update(data)
        return fields


class LastRunSerializer(serializers.ModelSerializer):
    """A schedule's latest run, in short: its status and its counts of courses per outcome."""

    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = ReportRun
        fields = ["id", "status", "status_display", "trigger", "started_at", "finished_at", "counts"]
        read_only_fields = fields


class ScheduleSerializer(serializers.ModelSerializer):
    """A schedule of the course, with what the caller may do with it."""

    report = serializers.SerializerMethodField(help_text="The report's id, or null if the catalog lacks it.")
    report_name = serializers.CharField(source="task.name")
    owner = serializers.CharField(source="owner.username", help_text="The user the reports are requested as.")
    owned_by_you = serializers.SerializerMethodField()
    may_manage = serializers.SerializerMethodField(
        help_text="Whether you may change, pause, resume, run or delete it.",
    )
    interval = serializers.SerializerMethodField()
    crontab = serializers.SerializerMethodField()
    when = serializers.SerializerMethodField(help_text="When it runs, in words, with its time zone.")
    time_zone = serializers.SerializerMethodField(
        help_text="Its time zone: its crontab's, else the site's (TIME_ZONE).",
    )
    next_run = serializers.SerializerMethodField(
        help_text="When it runs next, or null when paused; a past time means beat is not running it.",
    )
    last_run = serializers.SerializerMethodField(help_text="Its latest run, or null.")
    arguments = serializers.JSONField(source="keyword_arguments")

    class Meta:
        model = PeriodicReportSchedule
        fields = [
            "id",
            "name",
            "report",
            "report_name",
            "owner",
            "owned_by_you",
            "may_manage",
            "interval",
            "crontab",
            "when",
            "time_zone",
            "next_run",
            "last_run",
            "arguments",
            "include_ccx",
            "only_ccx",
            "upload_folder_prefix",
            "upload_folder_structure",
            "recipients",
            "notify",
            "max_in_flight",
            "finish_within",
            "enabled",
            "created",
            "modified",
        ]
        read_only_fields = fields

    def get_report(self, schedule) -> str | None:
        report = catalog.get(schedule.task.path)
        return report.task_type if report else None

    def get_owned_by_you(self, schedule) -> bool:
        return schedule.owner_id == self.context["request"].user.pk

    def get_may_manage(self, schedule) -> bool:
        return schedule.pk in self.context["manageable"]

    def get_when(self, schedule) -> str:
        return str(describe.describe_when(schedule))

    def get_time_zone(self, schedule) -> str:
        return str(timing.time_zone(schedule))

    def get_next_run(self, schedule) -> datetime.datetime | None:
        last_due = self.context.get("last_due", {}).get(schedule.pk)
        upcoming = timing.next_run(schedule, last_due=last_due, now=self.context["now"])
        return serializers.DateTimeField().to_representation(upcoming) if upcoming else None

    def get_last_run(self, schedule) -> LastRunSerializer(allow_null=True):
        run = self.context.get("last_runs", {}).get(schedule.pk)
        return LastRunSerializer(run).data if run else None

    def get_interval(self, schedule) -> IntervalSerializer(allow_null=True):
        interval = schedule.interval
        return {"every": interval.every, "period": interval.period} if interval else None

    def get_crontab(self, schedule) -> CrontabSerializer(allow_null=True):
        crontab = schedule.crontab
        if crontab is None:
            return None
        return {
            "minute": crontab.minute,
            "hour": crontab.hour,
            "day_of_week": crontab.day_of_week,
            "day_of_month": crontab.day_of_month,
            "month_of_year": crontab.month_of_year,
            "timezone": str(crontab.timezone),
        }


class CourseSettingsSerializer(serializers.Serializer):
    """What the site allows a course team, for forms to say before the API refuses."""

    time_zone = serializers.CharField(help_text="The site's time zone (TIME_ZONE): schedules' default.")
    min_interval_seconds = serializers.IntegerField(help_text="The shortest time between two runs.")
    max_schedules = serializers.IntegerField(help_text="How many schedules the course may have.")
    schedules = serializers.IntegerField(help_text="How many it has.")
    max_recipients = serializers.IntegerField(help_text="How many recipients a schedule may have.")
    run_now_cooldown_seconds = serializers.IntegerField(help_text="The wait between two runs now.")


class MessageSerializer(serializers.Serializer):
    """What an action did, in words."""

    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """An error: what went wrong and what to do, and for invalid input the message of each field."""

    message = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
