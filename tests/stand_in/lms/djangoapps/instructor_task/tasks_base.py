"""
Stand-in of ``lms.djangoapps.instructor_task.tasks_base`` for tests.

Every report task of the platform derives from ``BaseInstructorTask``: once the task returns,
``on_success`` stores its progress on the ``InstructorTask`` row (its first argument) as
SUCCESS; when it raises, wherever in the task, ``on_failure`` stores the exception's type,
message and traceback as FAILURE. The task itself never marks the row finished.
"""
import logging

from celery import Task
from celery.states import FAILURE, SUCCESS

from lms.djangoapps.instructor_task.models import InstructorTask

TASK_LOG = logging.getLogger("edx.celery.task")


class BaseInstructorTask(Task):
    """A Celery task whose ``InstructorTask`` row (``args[0]``) Celery's outcome finishes."""

    abstract = True

    def on_success(self, task_progress, task_id, args, kwargs):  # pylint: disable=arguments-renamed  # noqa: ARG002  (Celery's)
        """Store the returned progress on the row as SUCCESS, unless the task made subtasks."""
        entry = InstructorTask.objects.get(pk=args[0])
        if len(entry.subtasks) == 0:
            entry.task_output = InstructorTask.create_output_for_success(task_progress)
            entry.task_state = SUCCESS
            entry.save_now()

    def on_failure(self, exc, task_id, args, kwargs, einfo):  # noqa: ARG002  (Celery's signature)
        """Store the exception on the row as FAILURE (a missing row is logged)."""
        try:
            entry = InstructorTask.objects.get(pk=args[0])
        except InstructorTask.DoesNotExist:
            TASK_LOG.error("Task (%s) has no InstructorTask object for id %s", task_id, args[0])
            return
        TASK_LOG.warning("Task (%s) failed", task_id, exc_info=True)
        entry.task_output = InstructorTask.create_output_for_failure(einfo.exception, einfo.traceback)
        entry.task_state = FAILURE
        entry.save_now()
