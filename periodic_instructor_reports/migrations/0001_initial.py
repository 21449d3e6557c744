"""
The earlier implementation's first migration, kept under its original name.

``0001_squashed_legacy`` replaces this one and the next two. A database on which none of them ran
uses the squashed migration, and one on which all three ran counts it as applied. A database of the
earlier implementation that stopped after its first or second migration cannot use the squashed
migration, so Django continues it through these files instead. This one makes the tables exactly
as the earlier implementation did: its JSON columns came from the ``jsonfield`` package, which
stores text, so they are text fields here (0002_modern_schema turns them into JSON fields).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0015_edit_solarschedule_events_choices"),
    ]

    operations = [
        migrations.CreateModel(
            name="PeriodicReportTask",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=254)),
                ("path", models.CharField(max_length=254)),
                ("requires_request", models.BooleanField(default=False)),
            ],
            options={
                "verbose_name": "Periodic report task",
                "verbose_name_plural": "Periodic report tasks",
                "unique_together": {("name", "path")},
            },
        ),
        migrations.CreateModel(
            name="PeriodicReportSchedule",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("course_ids", models.TextField()),
                ("arguments", models.TextField(blank=True, null=True)),
                ("keyword_arguments", models.TextField(blank=True, null=True)),
                ("include_ccx", models.BooleanField(default=False)),
                ("only_ccx", models.BooleanField(default=False)),
                ("upload_folder_structure", models.CharField(
                    choices=[("regular", "regular"), ("by_date", "by_date")],
                    default="regular",
                    max_length=32,
                )),
                ("celery_task", models.ForeignKey(
                    blank=True, editable=False, null=True,
                    on_delete=django.db.models.deletion.CASCADE, to="django_celery_beat.periodictask",
                )),
                ("interval", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="django_celery_beat.intervalschedule",
                )),
                ("owner", models.ForeignKey(
                    on_delete=django.db.models.deletion.DO_NOTHING, to=settings.AUTH_USER_MODEL,
                )),
                ("task", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    to="periodic_instructor_reports.periodicreporttask",
                )),
            ],
            options={
                "verbose_name": "Periodic report schedule",
                "verbose_name_plural": "Periodic report schedules",
            },
        ),
    ]
