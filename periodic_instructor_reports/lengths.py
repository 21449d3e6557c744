"""Text cut to the length of the model field it is stored in, read from the field itself."""

import functools

from periodic_instructor_reports.models import ReportRunCourse


@functools.cache
def max_length(model, field_name):
    """Return the ``max_length`` of ``model``'s field ``field_name`` (read once: fields do not change)."""
    return model._meta.get_field(field_name).max_length


def fit(model, field_name, text, *, leaving=0):
    """Return ``text`` cut to the length of ``model``'s field ``field_name``, less ``leaving`` characters."""
    return text[:max_length(model, field_name) - leaving]


def error_text(text):
    """Return ``text`` as a course's or a run's ``error`` field keeps it."""
    return fit(ReportRunCourse, "error", text)


def exception_text(error):
    """Return an exception as the one-line text a run's history keeps."""
    return error_text(f"{type(error).__name__}: {error}")
