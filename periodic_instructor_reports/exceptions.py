"""The plugin's own exceptions."""


class PeriodicReportsError(Exception):
    """Base class of the plugin's errors."""


class ReportFunctionError(PeriodicReportsError):
    """A report task's dotted path is not allowed, does not import, or is not callable."""
