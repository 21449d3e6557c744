"""
Queueing the plugin's Celery tasks by name (``beat.DISPATCH_TASK``...), without importing ``tasks``.

The task module is meant to be the top of the package: it imports the modules that do the work,
and they need not import it back to queue its tasks (a continuation, run now, a wrapped report).
"""

from celery import current_app


def send(name, *, args, kwargs=None, **options):
    """
    Queue the task ``name`` with ``args`` and ``kwargs``; ``options`` are ``apply_async``'s.

    When Celery runs tasks eagerly (``task_always_eager``), the task runs here and now, as
    ``apply_async`` would run it; the task module is loaded first for that. The broker's errors
    reach the caller.
    """
    app = current_app
    if not app.conf.task_always_eager:
        return app.send_task(name, args=args, kwargs=kwargs, **options)
    app.autodiscover_tasks([__package__], force=True)
    return app.tasks[name].apply_async(args=args, kwargs=kwargs, **options)
