"""The plugin's own exceptions."""


class PeriodicReportsError(Exception):
    """Base class of the plugin's errors."""


class ReportFunctionError(PeriodicReportsError):
    """A report task's dotted path is not allowed, does not import, or is not callable."""


class ProfileColumnsError(PeriodicReportsError):
    """The site's configuration of profile columns is one the instructor dashboard refuses."""


class BrokerUnavailable(PeriodicReportsError):
    """The Celery broker could not be reached, so nothing (or not everything) was queued."""

    def __init__(self, message, *, queued=()):
        super().__init__(message)
        self.queued = list(queued)


class RunNowRefused(PeriodicReportsError):
    """Some schedules may not run now (a run in progress, or the run-now cooldown); nothing was queued."""

    def __init__(self, refusals):
        super().__init__(" ".join(refusals.values()))
        self.refusals = dict(refusals)
