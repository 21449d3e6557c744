"""
Stand-in of ``lms.djangoapps.instructor_task.api_helper`` for tests.

``submit_task`` follows the platform's order of steps and queries: reserve the row (duplicate
guard fetching the unfinished rows, the latest task id the platform logs at WARNING, then
``InstructorTask.create``, which saves the row in a savepoint of its own), read the request's
tracking info, then hand the task to Celery. Like the platform, a ``request.META`` without
``REMOTE_ADDR``/``SERVER_NAME`` raises ``KeyError`` only after the row was saved, which leaves a
QUEUING row behind that blocks the next submission of that report (``AlreadyRunningError``).

The platform wraps the reservation in ``outer_atomic()``, which refuses to run inside
``transaction.atomic``. Django's ``TestCase`` wraps every test in atomic blocks, so the stand-in
only enforces that rule when the setting ``STAND_IN_ENFORCE_NO_ATOMIC`` is true (default False);
tests of code that must call the API outside a transaction can turn it on (with
``TransactionTestCase``).

``STAND_IN_SUBMIT_DELAY`` (seconds, default 0) makes each submission that long, like a busy
LMS database: the fault-injection scenarios use it to stop a dispatch part-way.

The platform calls ``apply_async(args, task_id=...)`` and its Celery router picks the queue from
the task name; the stand-in passes that same queue explicitly as ``queue=``.
"""
import logging
import time

from celery.states import FAILURE, READY_STATES
from django.conf import settings
from django.db import transaction

from lms.djangoapps.instructor_task.models import InstructorTask

log = logging.getLogger(__name__)

DEFAULT_PRIORITY_QUEUE = "edx.lms.core.default"
HIGH_MEM_QUEUE = "edx.lms.core.high_mem"
# The platform routes by task name: EXPLICIT_QUEUES, GRADES_DOWNLOAD_ROUTING_KEY = HIGH_MEM_QUEUE.
EXPLICIT_QUEUES = {
    "lms.djangoapps.instructor_task.tasks.calculate_grades_csv": HIGH_MEM_QUEUE,
    "lms.djangoapps.instructor_task.tasks.calculate_problem_grade_report": HIGH_MEM_QUEUE,
    "lms.djangoapps.instructor_task.tasks.generate_certificates": HIGH_MEM_QUEUE,
}


class AlreadyRunningError(Exception):
    """An unfinished task of the same type, course and key exists."""

    message = "Requested task is already running"

    def __init__(self, message=None):
        super().__init__(message or self.message)


class QueueConnectionError(Exception):
    """The Celery task could not be sent."""

    message = "Error occured. Please try again later."

    def __init__(self, message=None):
        super().__init__(message or self.message)


def queue_for(task_name):
    """The queue the platform's router sends the task named ``task_name`` to."""
    return EXPLICIT_QUEUES.get(task_name, DEFAULT_PRIORITY_QUEUE)


def _task_is_running(course_id, task_type, task_key):
    running = InstructorTask.objects.filter(
        course_id=course_id, task_type=task_type, task_key=task_key
    )
    # Like the platform: one exclude per ready state, then the unfinished rows fetched and counted.
    for state in READY_STATES:
        running = running.exclude(task_state=state)
    return len(running) > 0


REPORT_LABELS = {
    "grade_course": "grade",
    "grade_problems": "problem grade",
    "profile_info_csv": "enrolled learner profile",
    "may_enroll_info_csv": "enrollment",
    "inactive_enrolled_students_info_csv": "inactive enrollment",
    "problem_responses_csv": "problem responses",
    "course_survey_report": "survey",
    "proctored_exam_results_report": "proctored exam results",
    "export_ora2_data": "ORA data",
}


def _reserve_task(course_id, task_type, task_key, task_input, requester):
    if _task_is_running(course_id, task_type, task_key):
        label = REPORT_LABELS.get(task_type)
        # Like the platform: an empty message (then the default one) for other task types.
        raise AlreadyRunningError(
            f"The {label} report is being created. To view the status of the report, see Pending "
            "Tasks below. You will be able to download the report when it is complete."
            if label else None
        )
    # Like the platform: the latest task id, logged at WARNING with every submission.
    latest = InstructorTask.objects.order_by("-id").values_list("id", flat=True).first()
    log.warning("No duplicate tasks found: task_type %s, task_key %s, and most recent task_id = %s",
                task_type, task_key, latest if latest is not None else "None found")
    return InstructorTask.create(course_id, task_type, task_key, task_input, requester)


def _get_xblock_instance_args(request, task_id):
    request_info = {
        "username": request.user.username,
        "user_id": request.user.id,
        "ip": request.META["REMOTE_ADDR"],
        "agent": request.META.get("HTTP_USER_AGENT", "").encode().decode("latin1"),
        "host": request.META["SERVER_NAME"],
    }
    return {"request_info": request_info, "task_id": task_id}


def submit_task(request, task_type, task_class, course_key, task_input, task_key):
    """Reserve an ``InstructorTask`` row and send ``task_class`` to Celery; return the row."""
    delay = float(getattr(settings, "STAND_IN_SUBMIT_DELAY", 0) or 0)
    if delay:
        time.sleep(delay)
    enforce = getattr(settings, "STAND_IN_ENFORCE_NO_ATOMIC", False)
    if enforce and transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("Cannot be inside an atomic block.")
    with transaction.atomic():
        instructor_task = _reserve_task(course_key, task_type, task_key, task_input, request.user)

    task_id = instructor_task.task_id
    task_args = [instructor_task.id, _get_xblock_instance_args(request, task_id)]
    try:
        task_class.apply_async(task_args, task_id=task_id, queue=queue_for(task_class.name))
    except Exception as error:  # the platform catches everything here, too
        log.info("instructor task (%s) failed, result: %s", task_id, error)
        instructor_task.task_state = FAILURE
        instructor_task.task_output = str(error)
        instructor_task.save()
        raise QueueConnectionError() from error
    return instructor_task
