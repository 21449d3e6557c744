"""
Stand-in of the LMS Celery app for tests.

The real LMS reads its Celery configuration from Django settings WITHOUT a namespace, so the
old-style setting names apply (``CELERY_ALWAYS_EAGER``, ``BROKER_URL``, ``CELERYBEAT_SCHEDULER``),
and finds tasks by autodiscovery of each installed app's ``tasks.py``.
"""
from celery import Celery

APP = Celery("lms")
APP.config_from_object("django.conf:settings")
APP.autodiscover_tasks()
# Make it the default and current app, so ``shared_task``s bind to it.
APP.set_default()
APP.set_current()
