"""
The earlier implementation's schema (its migrations 0001 to 0003), as one migration.

A database on which those three ran counts this one as applied and migrates forward from here;
a new database gets the same tables. A database on which only the first one or two ran cannot use
this migration, so those three are kept next to it under their original names and Django runs the
rest of them instead. The JSON columns were text (the ``jsonfield`` package); 0002 turns them
into Django's own JSON fields.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [
        ("periodic_instructor_reports", "0001_initial"),
        ("periodic_instructor_reports", "0002_periodicreportschedule_upload_folder_prefix"),
        ("periodic_instructor_reports", "0003_auto_20210723_0330"),
    ]

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
                ("upload_folder_prefix", models.CharField(default="", max_length=254)),
                ("upload_folder_structure", models.CharField(
                    choices=[("regular", "regular"), ("by_date", "by_date"), ("flat", "flat")],
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
