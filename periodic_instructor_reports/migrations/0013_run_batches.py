"""A run's queue of courses: batch rows recorded before any is submitted (ADR 0015)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('periodic_instructor_reports', '0012_report_copies'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReportRunBatch',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(help_text="The batch's place in the run, from 0.")),
                ('course_ids', models.JSONField(default=list)),
                ('size', models.PositiveIntegerField(default=0, help_text='How many courses the batch holds.')),
                ('submitting_since', models.DateTimeField(blank=True, help_text='When its first submission started (the intent).', null=True)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='batches', to='periodic_instructor_reports.reportrun')),
            ],
            options={
                'verbose_name': 'Report run batch',
                'verbose_name_plural': 'Report run batches',
                'constraints': [models.UniqueConstraint(fields=('run', 'number'), name='pir_runbatch_once_per_run')],
            },
        ),
    ]
