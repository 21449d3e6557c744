"""Admin pages for report tasks, schedules and their run history; every write goes through ``api.py``."""

from periodic_instructor_reports.admin import history, schedules, tasks  # noqa: F401
