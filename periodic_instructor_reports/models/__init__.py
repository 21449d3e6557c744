"""
The plugin's models: report tasks and schedules (``schedules``), and the history of runs (``runs``).

Django finds them here; the rest of the plugin imports them from this package.
"""

from periodic_instructor_reports.models.runs import ReportRun, ReportRunBatch, ReportRunCourse, SlotGate
from periodic_instructor_reports.models.schedules import PeriodicReportSchedule, PeriodicReportTask

__all__ = [
    "PeriodicReportSchedule", "PeriodicReportTask",
    "ReportRun", "ReportRunBatch", "ReportRunCourse", "SlotGate",
]
