"""
Stand-in of the LMS package for tests (never packaged).

Like the real ``lms/__init__.py`` it imports the Celery app, so the app exists (and is the
current one) before any ``shared_task`` of the stand-in is bound.
"""
from .celery import APP as CELERY_APP  # noqa: F401
