"""
Every Data Download report: where the platform wrote a report the plugin copied, and the reports
the plugin now knows how to run registered out of the box (unless rows for their paths exist).
"""

from django.db import migrations, models

from periodic_instructor_reports import catalog

# The reports 0003 did not register.
NEW_REPORTS = [report for report in catalog.REPORTS if report.support != catalog.NATIVE]


def add_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    catalog.register(task_model, schema_editor, NEW_REPORTS)


def remove_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    catalog.unregister(task_model, schema_editor, NEW_REPORTS)


class Migration(migrations.Migration):

    dependencies = [
        ("periodic_instructor_reports", "0011_schedule_names_are_unique_per_owner"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportruncourse",
            name="platform_path",
            field=models.CharField(
                blank=True, default="", max_length=600,
                help_text=(
                    "Where the platform wrote a report the plugin copied to the schedule's folder (the "
                    "course's own folder, listed on the instructor dashboard; never deleted by the plugin)."
                ),
            ),
        ),
        migrations.RunPython(add_reports, remove_reports),
    ]
