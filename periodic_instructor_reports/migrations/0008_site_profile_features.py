"""
Profile schedules no longer carry the plugin's fixed list of columns.

Earlier versions saved eleven columns (e-mail and mailing address among them) on every profile
schedule that named none; the dispatcher now asks the site's configuration for each course's
organisation at every run. Schedules whose list is exactly that saved default drop it; a list
an operator chose stays, and may only narrow what the site allows.
"""

from django.db import migrations

PROFILE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_students_features_csv"
LEGACY_DEFAULT_FEATURES = [
    "id", "username", "name", "email", "language", "location", "year_of_birth",
    "gender", "level_of_education", "mailing_address", "goals",
]


def drop_saved_default_features(apps, schema_editor):  # noqa: ARG001 (RunPython's signature)
    """Remove the saved default ``features`` from profile schedules."""
    Schedule = apps.get_model("periodic_instructor_reports", "PeriodicReportSchedule")
    for schedule in Schedule.objects.filter(task__path=PROFILE_REPORT).iterator():
        keyword_arguments = schedule.keyword_arguments or {}
        if isinstance(keyword_arguments, dict) and keyword_arguments.get("features") == LEGACY_DEFAULT_FEATURES:
            del keyword_arguments["features"]
            Schedule.objects.filter(pk=schedule.pk).update(keyword_arguments=keyword_arguments)


class Migration(migrations.Migration):

    dependencies = [
        ("periodic_instructor_reports", "0007_one_row_per_course"),
    ]

    operations = [
        migrations.RunPython(drop_saved_default_features, migrations.RunPython.noop),
    ]
