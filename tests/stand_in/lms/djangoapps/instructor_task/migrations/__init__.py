"""Migrations of the stand-in ``instructor_task`` app."""
