"""Who changed a schedule and who asked for a run: the run-now request time and the requester (audit)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('periodic_instructor_reports', '0014_report_error_files'),
    ]

    operations = [
        migrations.AddField(
            model_name='periodicreportschedule',
            name='run_now_requested_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a manual run was last queued: the next waits for the run-now cooldown.', null=True),
        ),
        migrations.AddField(
            model_name='reportrun',
            name='requested_by_user_id',
            field=models.IntegerField(blank=True, help_text='The id of the user who asked for a manual run.', null=True),
        ),
    ]
