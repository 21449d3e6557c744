"""
Keep run history when a schedule is deleted: runs detach and carry the schedule's name, report
and owner id, which existing runs get from their schedules here.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_schedule_details(apps, schema_editor):  # noqa: ARG001 (RunPython's signature)
    """Give each existing run its schedule's name, report name and path, and owner id."""
    ReportRun = apps.get_model("periodic_instructor_reports", "ReportRun")
    Schedule = apps.get_model("periodic_instructor_reports", "PeriodicReportSchedule")
    for schedule in Schedule.objects.select_related("task").iterator():
        ReportRun.objects.filter(schedule_id=schedule.pk).update(
            schedule_name=f"{schedule.task.name} #{schedule.pk}"[:255],
            report_name=schedule.task.name,
            report_path=schedule.task.path,
            owner_user_id=schedule.owner_id,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('periodic_instructor_reports', '0004_run_history_and_crontab'),
    ]

    operations = [
        migrations.AddField(
            model_name='reportrun',
            name='owner_user_id',
            field=models.IntegerField(blank=True, help_text='The id of the user the reports were requested as.', null=True),
        ),
        migrations.AddField(
            model_name='reportrun',
            name='report_name',
            field=models.CharField(blank=True, default='', max_length=254),
        ),
        migrations.AddField(
            model_name='reportrun',
            name='report_path',
            field=models.CharField(blank=True, default='', max_length=254),
        ),
        migrations.AddField(
            model_name='reportrun',
            name='schedule_name',
            field=models.CharField(blank=True, default='', max_length=255),
        ),
        migrations.AlterField(
            model_name='reportrun',
            name='schedule',
            field=models.ForeignKey(blank=True, help_text='Empty once the schedule was deleted; the run keeps its name, report and owner.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='periodic_instructor_reports.periodicreportschedule'),
        ),
        migrations.AlterField(
            model_name='reportrun',
            name='status',
            field=models.CharField(choices=[('running', 'running'), ('retrying', 'waiting to retry'), ('done', 'done'), ('refused', 'refused'), ('error', 'dispatcher error'), ('skipped', 'skipped: too soon')], default='running', max_length=16),
        ),
        # Runs exist only where 0004 ran: the squashed migration leaves this out.
        migrations.RunPython(copy_schedule_details, migrations.RunPython.noop, elidable=True),
    ]
