"""The names the plugin's pages are reversed by: its admin pages and its download views."""

_ADMIN = "admin:periodic_instructor_reports_"

# A schedule's admin pages are this and a suffix: _change, _changelist, _courses, _run_now...
SCHEDULES = _ADMIN + "periodicreportschedule"
SCHEDULE = SCHEDULES + "_change"
SCHEDULE_COURSES = SCHEDULES + "_courses"
RUNS = _ADMIN + "reportrun_changelist"
RUN = _ADMIN + "reportrun_change"
RUN_COURSES = _ADMIN + "reportruncourse_changelist"
BEAT_ROW = "admin:django_celery_beat_periodictask_change"
DOWNLOAD = "periodic_instructor_reports:download"
DOWNLOAD_ERRORS = "periodic_instructor_reports:download_errors"
