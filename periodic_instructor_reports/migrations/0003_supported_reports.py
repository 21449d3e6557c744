"""
Register the reports the plugin ran at first, unless rows for their paths already exist: the
catalog's native reports, which the platform writes in the schedule's folder (0012 adds the rest).
"""

from django.db import migrations

from periodic_instructor_reports import catalog

SUPPORTED_REPORTS = [report for report in catalog.REPORTS if report.support == catalog.NATIVE]


def add_supported_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    catalog.register(task_model, schema_editor, SUPPORTED_REPORTS)


def remove_supported_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    catalog.unregister(task_model, schema_editor, SUPPORTED_REPORTS)


class Migration(migrations.Migration):

    dependencies = [("periodic_instructor_reports", "0002_modern_schema")]

    operations = [migrations.RunPython(add_supported_reports, remove_supported_reports)]
