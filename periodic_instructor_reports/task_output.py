"""
What the platform's task rows say: whether a report ended, and its error or ungraded learners.

The platform's ``InstructorTask`` row holds a Celery state and a ``task_output`` that is JSON for
a task that ran (its progress, or its exception) and plain text when ``submit_task`` could not
queue it (the broker's error).
"""

import json
import re

from periodic_instructor_reports.lengths import error_text

SUCCESS, FAILURE, REVOKED = "SUCCESS", "FAILURE", "REVOKED"
ENDED = (SUCCESS, FAILURE, REVOKED)


def succeeded(state, output):
    """Return whether a task row records a report that was written (a grade report may say "failed")."""
    return state == SUCCESS and output != json.dumps("failed")


def refused_by_the_broker(state, output):
    """
    Return whether a platform task row records a submission whose Celery message was never sent.

    The platform's ``submit_task`` marks such a row FAILURE with the broker's error as plain text
    (and raises ``QueueConnectionError``); a report task that ran and failed stores a JSON object.
    """
    return state == FAILURE and not (output or "").lstrip().startswith("{")


def ungraded(output):
    """Return how many learners a grade report's ``task_output`` counts as failed (0 if it says none)."""
    try:
        progress = json.loads(output) if output else None
    except ValueError:
        return 0
    failed = progress.get("failed") if isinstance(progress, dict) else None
    return failed if isinstance(failed, int) and failed > 0 else 0


# Celery hands the platform's ``on_failure`` the exception wrapped in billiard's
# ``ExceptionWithTraceback``, whose text is the formatted traceback: the row names the wrapper.
WRAPPED_EXCEPTION = "ExceptionWithTraceback"
RAISED_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*(?P<name>[A-Za-z_]\w*)(?P<message>: .*)?$")


def raised_in_traceback(text):
    """
    Return ``Type: message`` of the exception a formatted traceback ends with, or "".

    The exception is what follows the traceback's last indented line (its frames and code); a
    message of several lines is kept, on one line.
    """
    lines = [line for line in text.removesuffix("...").replace('"""', "").splitlines() if line.strip()]
    last_code = max((number for number, line in enumerate(lines) if line.startswith((" ", "\t"))), default=-1)
    raised = lines[last_code + 1:]
    match = RAISED_LINE.match(raised[0]) if raised else None
    if not match:
        return ""
    return " ".join([match["name"] + (match["message"] or ""), *raised[1:]])


def platform_error(state, output):
    """Return the platform's error of an ended task from its ``task_output``, at most 500 characters."""
    try:
        detail = json.loads(output) if output else None
    except ValueError:
        detail = output  # the platform stores raw text when it could not queue the task
    if isinstance(detail, dict):
        text = ": ".join(str(detail[key]) for key in ("exception", "message") if detail.get(key))
        if detail.get("exception") == WRAPPED_EXCEPTION:
            text = raised_in_traceback(str(detail.get("message", ""))) or text
    elif detail:
        text = f"the platform's task ended {state} ({detail})"
    else:
        text = ""
    return error_text(text or f"the platform's task ended {state}")
