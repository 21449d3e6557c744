"""Migrations of the stand-in ``site_configuration`` app."""
