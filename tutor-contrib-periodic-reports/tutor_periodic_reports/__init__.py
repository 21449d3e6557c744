"""Tutor plugin for periodic-instructor-reports."""
