"""
Every Data Download report: where the platform wrote a report the plugin copied, and the reports
the plugin now knows how to run registered out of the box (unless rows for their paths exist).
"""

from django.core.management.color import no_style
from django.db import migrations, models

API = "lms.djangoapps.instructor_task.api."
WRAPPED = "periodic_instructor_reports.wrapped."
NEW_REPORTS = [
    ("Learners who may enroll", API + "submit_calculate_may_enroll_csv"),
    ("Enrolled learners not activated", API + "submit_calculate_inactive_enrolled_students_csv"),
    ("Anonymized learner ids", API + "generate_anonymous_ids"),
    ("Problem responses", API + "submit_calculate_problem_responses_csv"),
    ("ORA data", API + "submit_export_ora2_data"),
    ("ORA summary", API + "submit_export_ora2_summary"),
    ("ORA submission files", API + "submit_export_ora2_submission_files"),
    ("Course survey results", API + "submit_course_survey_report"),
    ("Proctored exam results", API + "submit_proctored_exam_results_report"),
    ("Issued certificates", WRAPPED + "submit_issued_certificates"),
    ("Enrolled learners' profiles (the listing on screen)", WRAPPED + "submit_enrolled_profiles"),
    ("Grading configuration", WRAPPED + "submit_grading_config"),
    ("Course team and roles", WRAPPED + "submit_course_team"),
    ("Certificate exceptions (allowlist)", WRAPPED + "submit_certificate_exceptions"),
    ("Certificate invalidations", WRAPPED + "submit_certificate_invalidations"),
]


def add_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    # Rows written with explicit ids (a restored or hand-made legacy table) leave PostgreSQL's
    # sequence behind them; start new ids after the highest one (no-op on MySQL and sqlite).
    for statement in schema_editor.connection.ops.sequence_reset_sql(no_style(), [task_model]):
        schema_editor.execute(statement)
    for name, path in NEW_REPORTS:
        if not task_model.objects.filter(path=path).exists():
            task_model.objects.create(name=name, path=path, requires_request=True)


def remove_reports(apps, schema_editor):
    task_model = apps.get_model("periodic_instructor_reports", "PeriodicReportTask")
    for name, path in NEW_REPORTS:
        task_model.objects.filter(name=name, path=path, schedules__isnull=True).delete()


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
