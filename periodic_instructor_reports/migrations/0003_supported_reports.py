"""Register the three supported platform reports, unless rows for their paths already exist."""

from django.db import migrations

SUPPORTED_REPORTS = [
    ("Grade report", "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"),
    ("Problem grade report", "lms.djangoapps.instructor_task.api.submit_problem_grade_report"),
    (
        "Profile information report",
        "lms.djangoapps.instructor_task.api.submit_calculate_students_features_csv",
    ),
]


def add_supported_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    for name, path in SUPPORTED_REPORTS:
        if not task_model.objects.filter(path=path).exists():
            task_model.objects.create(name=name, path=path, requires_request=True)


def remove_supported_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    for name, path in SUPPORTED_REPORTS:
        task_model.objects.filter(name=name, path=path, schedules__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [("periodic_instructor_reports", "0002_modern_schema")]

    operations = [migrations.RunPython(add_supported_reports, remove_supported_reports)]
