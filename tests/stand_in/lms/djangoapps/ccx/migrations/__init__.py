"""Migrations of the stand-in ``ccx`` app."""
