"""Template tags of the plugin's admin pages."""

from django import template

from periodic_instructor_reports.admin.deletion import deletion_note

register = template.Library()


@register.simple_tag
def periodic_reports_deletion_note(obj=None, queryset=None):
    """Say what deleting ``obj`` (or the ``queryset``) does to beat rows and run history."""
    return deletion_note([obj] if obj is not None else queryset)
