"""One row per course of a run, and the indexes the dispatcher and the recovery sweep read."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('periodic_instructor_reports', '0006_exactly_once'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reportrun',
            index=models.Index(fields=['status', 'heartbeat_at'], name='pir_run_status_heartbeat'),
        ),
        migrations.AddIndex(
            model_name='reportruncourse',
            index=models.Index(fields=['run', 'outcome'], name='pir_runcourse_run_outcome'),
        ),
        migrations.AddConstraint(
            model_name='reportruncourse',
            constraint=models.UniqueConstraint(fields=('run', 'course_id'), name='pir_runcourse_once_per_run'),
        ),
    ]
