"""
Migrations 0002_modern_schema to 0015_audit as one.

Django uses it where none of those ran: on new databases, and on databases of the earlier
implementation (at ``0001_squashed_legacy``). Those hold schedules, so it keeps the steps that
bring schedules up to date (their anchor, saved profile columns and names: 0006, 0008, 0010).
The one-off fixes of run history (0005, 0006) are left out: runs exist only where 0004 ran, and
such databases never take this migration. Databases on which some of 0002 to 0015 ran go on
through the old files, kept until every database has passed 0015.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import periodic_instructor_reports.validators
from periodic_instructor_reports import catalog

APP = "periodic_instructor_reports"
PROFILE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_students_features_csv"
# The profile columns earlier versions saved on profile schedules that named none (0008).
LEGACY_DEFAULT_FEATURES = [
    "id", "username", "name", "email", "language", "location", "year_of_birth",
    "gender", "level_of_education", "mailing_address", "goals",
]


def anchor_at_creation(apps, schema_editor):
    """Start existing schedules' due times from their creation (0006)."""
    Schedule = apps.get_model(APP, "PeriodicReportSchedule")
    Schedule.objects.using(schema_editor.connection.alias).update(anchor=models.F("created"))


def drop_saved_default_features(apps, schema_editor):
    """Remove the saved default ``features`` from profile schedules (0008)."""
    schedules = apps.get_model(APP, "PeriodicReportSchedule").objects.using(schema_editor.connection.alias)
    for schedule in schedules.filter(task__path=PROFILE_REPORT).iterator():
        keyword_arguments = schedule.keyword_arguments or {}
        if isinstance(keyword_arguments, dict) and keyword_arguments.get("features") == LEGACY_DEFAULT_FEATURES:
            del keyword_arguments["features"]
            schedules.filter(pk=schedule.pk).update(keyword_arguments=keyword_arguments)


def name_existing_schedules(apps, schema_editor):
    """Name each existing schedule after its report and id, before names are unique per owner (0010)."""
    schedules = apps.get_model(APP, "PeriodicReportSchedule").objects.using(schema_editor.connection.alias)
    for schedule in schedules.select_related("task").filter(name="").iterator():
        schedules.filter(pk=schedule.pk).update(name=f"{schedule.task.name} #{schedule.pk}"[:200])


def check_deferred_constraints(apps, schema_editor):  # noqa: ARG001 (RunPython's signature)
    """
    Run now the foreign key checks the updates above deferred (PostgreSQL), so that the schedule
    table can be altered in the same transaction ("pending trigger events" otherwise).
    """
    if schema_editor.connection.features.can_defer_constraint_checks:
        schema_editor.connection.check_constraints()


def add_reports(apps, schema_editor):
    """Register every report of the catalog whose path has no row yet (0003, 0012)."""
    catalog.register(apps.get_model(APP, "PeriodicReportTask"), schema_editor)


def remove_reports(apps, schema_editor):
    catalog.unregister(apps.get_model(APP, "PeriodicReportTask"), schema_editor)


class Migration(migrations.Migration):

    replaces = [
        (APP, "0002_modern_schema"),
        (APP, "0003_supported_reports"),
        (APP, "0004_run_history_and_crontab"),
        (APP, "0005_detached_run_history"),
        (APP, "0006_exactly_once"),
        (APP, "0007_one_row_per_course"),
        (APP, "0008_site_profile_features"),
        (APP, "0009_delivery"),
        (APP, "0010_named_schedules_and_course_selection"),
        (APP, "0011_schedule_names_are_unique_per_owner"),
        (APP, "0012_report_copies"),
        (APP, "0013_run_batches"),
        (APP, "0014_report_error_files"),
        (APP, "0015_audit"),
    ]

    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        (APP, "0001_squashed_legacy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='periodicreporttask',
            name='name',
            field=models.CharField(help_text='Name of the task. Used for representation purposes on the Admin UI.', max_length=254),
        ),
        migrations.AlterField(
            model_name='periodicreporttask',
            name='path',
            field=models.CharField(help_text='Python path of the function called periodically. Example: lms.djangoapps.instructor_task.api.submit_calculate_grades_csv', max_length=254),
        ),
        migrations.AlterField(
            model_name='periodicreporttask',
            name='requires_request',
            field=models.BooleanField(default=False, help_text='Indicates if the function takes a request as its first argument.'),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='course_ids',
            field=models.JSONField(blank=True, default=list, help_text='Courses and CCXs, listed by id (scripts and the API give a JSON list, for example ["course-v1:AB+CD+06+2020", "ccx-v1:AB+CD+06+2020+ccx@3"]).', validators=[periodic_instructor_reports.validators.validate_course_ids]),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='arguments',
            field=models.JSONField(blank=True, default=list, help_text='JSON list of extra positional arguments passed after the course key.', null=True),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='keyword_arguments',
            field=models.JSONField(blank=True, default=dict, help_text='JSON object of keyword arguments, for example {"features": ["id", "email"]}.', null=True),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='include_ccx',
            field=models.BooleanField(default=False, help_text='Also generate the report for every CCX of the listed courses.'),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='only_ccx',
            field=models.BooleanField(default=False, help_text='Generate the report only for the CCXs of the listed courses.'),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='upload_folder_prefix',
            field=models.CharField(blank=True, default='', help_text='Prefix of the upload folder. A prefix ending with a slash (periodic-reports/) makes a folder; without one it is glued to the folder name (periodic-).', max_length=254, validators=[periodic_instructor_reports.validators.validate_upload_folder_prefix]),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='upload_folder_structure',
            field=models.CharField(choices=[('regular', 'regular'), ('by_date', 'by_date'), ('flat', 'flat')], default='regular', help_text="regular: prefix + hashed course id (with an empty prefix, the instructor dashboard's own folder); by_date: prefix + run date (yyyy-mm-dd); flat: prefix only.", max_length=32),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='celery_task',
            field=models.ForeignKey(blank=True, editable=False, help_text='The celery beat entry kept in step with this schedule.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='django_celery_beat.periodictask'),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='interval',
            field=models.ForeignKey(blank=True, help_text='How often the report is generated. Choose an interval or a crontab, not both.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='django_celery_beat.intervalschedule'),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='owner',
            field=models.ForeignKey(help_text='The user the reports are requested as; defaults to you.', on_delete=django.db.models.deletion.CASCADE, related_name='periodic_report_schedules', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='periodicreportschedule',
            name='task',
            field=models.ForeignKey(help_text='The report to generate.', on_delete=django.db.models.deletion.CASCADE, related_name='schedules', to='periodic_instructor_reports.periodicreporttask'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='created',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='enabled',
            field=models.BooleanField(default=True, help_text='Paused schedules do not run.'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='modified',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='crontab',
            field=models.ForeignKey(blank=True, help_text="When the report is generated, for example every Monday at 07:00 in the crontab's time zone, which is also the time zone of by_date folders. Choose an interval or a crontab, not both.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='django_celery_beat.crontabschedule'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='anchor',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, help_text='An interval schedule is due at whole intervals after this moment: when it was created, its interval changed or it was resumed. A crontab schedule is due at its times after it.'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='notify',
            field=models.CharField(choices=[('always', 'after every run'), ('failures', "only when a course's report was not produced"), ('never', 'never')], default='failures', help_text='When the recipients are e-mailed. The owner is always told about failures.', max_length=16),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='recipients',
            field=models.JSONField(blank=True, default=list, help_text='JSON list of e-mail addresses told about runs, for example ["data@example.com"]. E-mails link to the reports (logging in is needed to download them), never attach them.', validators=[periodic_instructor_reports.validators.validate_recipients]),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='course_orgs',
            field=models.JSONField(blank=True, default=list, help_text='Also every course of these organisations (a JSON list, e.g. ["edX"]), chosen again at each run from the platform\'s courses, with the state below.'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='course_state',
            field=models.CharField(blank=True, choices=[('', 'no selection: the listed courses only'), ('all', 'all courses'), ('running', 'running now'), ('starting', 'starting within the number of days'), ('ended', 'ended within the number of days')], default='', help_text="Also the platform's courses in this state (of the organisations above, if any), at each run.", max_length=16),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='course_state_days',
            field=models.PositiveIntegerField(default=30, help_text='The number of days of “starting within” and “ended within”.'),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='name',
            field=models.CharField(default='', help_text='What people call this schedule, e.g. “Weekly grades of the spring courses”.', max_length=200, validators=[periodic_instructor_reports.validators.validate_safe_text]),
        ),
        migrations.AddField(
            model_name='periodicreportschedule',
            name='run_now_requested_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a manual run was last queued: the next waits for the run-now cooldown.', null=True),
        ),
        migrations.CreateModel(
            name='ReportRun',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('trigger', models.CharField(choices=[('beat', 'celery beat'), ('manual', 'run now'), ('cron', 'cron command'), ('catch_up', 'caught up')], max_length=16)),
                ('planned_at', models.DateTimeField(help_text='The due time this run is for; a schedule runs at most once per due time.')),
                ('started_at', models.DateTimeField(db_index=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('status', models.CharField(choices=[('running', 'running'), ('retrying', 'waiting to retry'), ('generating', 'generating reports'), ('done', 'done'), ('refused', 'refused'), ('error', 'dispatcher error'), ('skipped', 'skipped: too soon')], default='running', max_length=16)),
                ('counts', models.JSONField(blank=True, default=dict, help_text='How many courses ended with each outcome (their latest attempt).')),
                ('error', models.CharField(blank=True, default='', max_length=500)),
                ('notified_at', models.DateTimeField(blank=True, editable=False, help_text="When the run's e-mail was sent.", null=True)),
                ('schedule', models.ForeignKey(blank=True, help_text='Empty once the schedule was deleted; the run keeps its name, report and owner.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='periodic_instructor_reports.periodicreportschedule')),
                ('owner_user_id', models.IntegerField(blank=True, help_text='The id of the user the reports were requested as.', null=True)),
                ('report_name', models.CharField(blank=True, default='', max_length=254)),
                ('report_path', models.CharField(blank=True, default='', max_length=254)),
                ('schedule_name', models.CharField(blank=True, default='', max_length=255)),
                ('course_total', models.PositiveIntegerField(blank=True, help_text='How many courses the run is for, once they are all recorded.', null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, editable=False, help_text='When the run last made progress, or when it is due to go on (a retry).', null=True)),
                ('holder', models.CharField(blank=True, default='', editable=False, help_text='The Celery task id working on the run; another worker takes over only once it stalls.', max_length=64)),
                ('missed', models.PositiveIntegerField(default=0, help_text='Earlier due times that passed without a run (workers or broker down).')),
                ('resumptions', models.PositiveSmallIntegerField(default=0, help_text='How many times the run was resumed after a worker stopped.')),
                ('note', models.CharField(blank=True, default='', help_text="What delivering the run's e-mail came to.", max_length=500)),
                ('requested_by_user_id', models.IntegerField(blank=True, help_text='The id of the user who asked for a manual run.', null=True)),
            ],
            options={
                'verbose_name': 'Report run',
                'verbose_name_plural': 'Report runs',
                'indexes': [models.Index(fields=['status', 'started_at'], name='pir_run_status_started'), models.Index(fields=['status', 'heartbeat_at'], name='pir_run_status_heartbeat')],
                'constraints': [models.UniqueConstraint(fields=('schedule', 'planned_at'), name='pir_run_once_per_due_time')],
            },
        ),
        migrations.CreateModel(
            name='ReportRunCourse',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('course_id', models.CharField(max_length=255)),
                ('attempt', models.PositiveSmallIntegerField(default=0, help_text='How many times the report was requested for this course in this run.')),
                ('outcome', models.CharField(choices=[('pending', 'pending'), ('submitting', 'submitting'), ('submitted', 'submitted'), ('generated', 'generated'), ('report_failed', 'report failed'), ('lost', 'lost'), ('already_running', 'already running'), ('failed', 'failed'), ('skipped', 'skipped'), ('refused', 'refused')], default='pending', max_length=16)),
                ('task_id', models.CharField(blank=True, default='', help_text="The platform's instructor task id, when the report function returned one.", max_length=255)),
                ('upload_parent_dir', models.CharField(blank=True, default='', max_length=300)),
                ('error', models.CharField(blank=True, default='', max_length=500)),
                ('started_at', models.DateTimeField(blank=True, help_text='When the latest attempt started (the intent to submit).', null=True)),
                ('finished_at', models.DateTimeField(blank=True, help_text="When the course reached its outcome (the report's end, once followed).", null=True)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='courses', to='periodic_instructor_reports.reportrun')),
                ('expected_name', models.CharField(blank=True, default='', help_text="The start of the report's file name: course prefix and report name, before the time.", max_length=255)),
                ('file_name', models.CharField(blank=True, default='', max_length=255)),
                ('file_path', models.CharField(blank=True, default='', help_text='Where the report is in the report store.', max_length=600)),
                ('file_size', models.BigIntegerField(blank=True, help_text='Bytes.', null=True)),
                ('platform_path', models.CharField(blank=True, default='', help_text="Where the platform wrote a report the plugin copied to the schedule's folder (the course's own folder, listed on the instructor dashboard; never deleted by the plugin).", max_length=600)),
                ('error_file_path', models.CharField(blank=True, default='', help_text='Where the platform listed the learners it could not grade (the errors file).', max_length=600)),
                ('ungraded', models.PositiveIntegerField(blank=True, help_text='How many learners the platform could not grade (not in the report).', null=True)),
            ],
            options={
                'verbose_name': 'Report run course',
                'verbose_name_plural': 'Report run courses',
                'indexes': [models.Index(fields=['course_id', 'started_at'], name='pir_runcourse_course'), models.Index(fields=['outcome', 'started_at'], name='pir_runcourse_outcome'), models.Index(fields=['started_at'], name='pir_runcourse_started'), models.Index(fields=['run', 'outcome'], name='pir_runcourse_run_outcome')],
                'constraints': [models.UniqueConstraint(fields=('run', 'course_id'), name='pir_runcourse_once_per_run')],
            },
        ),
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
        migrations.RunPython(anchor_at_creation, migrations.RunPython.noop),
        migrations.RunPython(drop_saved_default_features, migrations.RunPython.noop),
        migrations.RunPython(name_existing_schedules, migrations.RunPython.noop),
        migrations.RunPython(check_deferred_constraints, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='periodicreportschedule',
            constraint=models.UniqueConstraint(fields=('owner', 'name'), name='pir_schedule_name_per_owner'),
        ),
        migrations.RunPython(add_reports, remove_reports),
    ]
