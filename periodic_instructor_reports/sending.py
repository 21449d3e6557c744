"""Queueing the plugin's Celery tasks by name, so that no module imports the task module."""

from celery import current_app


def queue_task(name, *, args, **options):
    """
    Queue the plugin's task ``name`` with ``args`` and Celery's ``options``; return its result.

    A process that registered the task (a worker, or a test in eager mode) applies it as
    registered, with its own options; any other process (the LMS's web workers) sends it by
    name, for a worker to run. Either way the broker's errors reach the caller.
    """
    task = current_app.tasks.get(name)
    if task is not None:
        return task.apply_async(args=args, **options)
    return current_app.send_task(name, args=args, **options)
