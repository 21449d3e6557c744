"""Migrations of the stand-in ``student`` app."""
