"""Report functions with other shapes than the platform's, for allowlist and signature tests."""

CALLS = []


def recording_report(request, course_key, **task_kwargs):
    """Record the call like a report that accepts upload kwargs and leaves no platform task to follow."""
    CALLS.append({"request": request, "course_key": course_key, "kwargs": task_kwargs})


def report_without_request(course_key, **task_kwargs):
    """Record the call of a report that takes no request."""
    CALLS.append({"request": None, "course_key": course_key, "kwargs": task_kwargs})


def report_without_upload(request, course_key):
    """Record the call of a report that cannot be given an upload folder."""
    CALLS.append({"request": request, "course_key": course_key, "kwargs": {}})


def failing_report(request, course_key, **task_kwargs):
    """Fail for the course named ``course-v1:Bad+Course+Run``, record the others."""
    if str(course_key) == "course-v1:Bad+Course+Run":
        raise RuntimeError("the grading backend is down")
    return recording_report(request, course_key, **task_kwargs)


def long_error_report(request, course_key, **task_kwargs):  # noqa: ARG001  (a report function's signature)
    """Fail with a very long message."""
    raise ValueError("x" * 5000)


NOT_CALLABLE = 42

ALL = [
    "tests.reports.recording_report",
    "tests.reports.report_without_request",
    "tests.reports.report_without_upload",
    "tests.reports.failing_report",
    "tests.reports.long_error_report",
    "tests.reports.busy_report",
    "tests.reports.NOT_CALLABLE",
    "tests.reports.missing_function",
    "tests.missing_module.report",
]


BUSY = "course-v1:Busy+Course+Run"


def busy_report(request, course_key, **task_kwargs):
    """Refuse ``BUSY`` as the platform refuses a course whose report runs; else act as ``failing_report``."""
    from lms.djangoapps.instructor_task.api_helper import AlreadyRunningError

    if str(course_key) == BUSY:
        raise AlreadyRunningError()
    return failing_report(request, course_key, **task_kwargs)
