"""The platform's CCX app, when the site has it (it exists only with CUSTOM_COURSES_EDX on)."""

from django.apps import apps
from opaque_keys.edx.keys import CourseKey


def get_ccx_model():
    """Return the platform's ``CustomCourseForEdX`` model, or None when the CCX app is absent."""
    try:
        return apps.get_model("ccx", "CustomCourseForEdX")
    except LookupError:
        return None


def is_ccx(course_key):
    """Return whether the key names a CCX rather than a master course."""
    return hasattr(course_key, "ccx")


def ccx_keys_by_master(master_keys):
    """
    Return ``{master key: [CCX keys]}`` for the given master courses, in one query.

    Raises:
        LookupError: the CCX app is not installed on this site.
    """
    model = get_ccx_model()
    if model is None:
        raise LookupError("the CCX app (lms.djangoapps.ccx) is not installed")
    found = {key: [] for key in master_keys}
    rows = model.objects.filter(course_id__in=[str(key) for key in master_keys]).order_by("id")
    for ccx in rows:
        found.setdefault(CourseKey.from_string(str(ccx.course_id)), []).append(ccx.locator)
    return found
