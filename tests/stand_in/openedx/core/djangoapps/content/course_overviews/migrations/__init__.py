"""Migrations of the stand-in ``course_overviews`` app."""
