"""Which courses a schedule means: its listed ids, and the CCXs of its master courses."""

import logging
from dataclasses import dataclass

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import platform

log = logging.getLogger(__name__)

ERROR_LIMIT = 500


@dataclass
class Skipped:
    """A listed id that cannot run, and why."""

    course_id: str
    error: str


def is_ccx(course_key):
    """Return whether the key names a CCX rather than a master course."""
    return hasattr(course_key, "ccx")


def ccx_keys_by_master(master_keys):
    """
    Return ``{master key: [CCX keys]}`` for the given master courses, in one query.

    Raises:
        LookupError: the CCX app is not installed on this site.
    """
    model = platform.ccx_model()
    if model is None:
        raise LookupError("the CCX app (lms.djangoapps.ccx) is not installed")
    found = {key: [] for key in master_keys}
    rows = model.objects.filter(course_id__in=[str(key) for key in master_keys]).order_by("id")
    for ccx in rows:
        found.setdefault(CourseKey.from_string(str(ccx.course_id)), []).append(ccx.locator)
    return found


def target_courses(schedule, only=None):
    """
    Return ``(course keys to run, [Skipped])`` for a schedule.

    Listed ids run as given; with ``include_ccx`` the CCXs of listed master courses run after
    their master, and with ``only_ccx`` the masters themselves are left out. ``only`` (course id
    strings) keeps just those of the result.
    """
    keys, skipped = _target_courses(schedule)
    if only is not None:
        wanted = set(only)
        keys = [key for key in keys if str(key) in wanted]
        skipped = [outcome for outcome in skipped if outcome.course_id in wanted]
    return keys, skipped


def _target_courses(schedule):
    keys, skipped = [], []
    for course_id in schedule.course_ids or []:
        try:
            keys.append(CourseKey.from_string(course_id))
        except InvalidKeyError as err:
            skipped.append(Skipped(str(course_id), f"invalid_course: InvalidKeyError: {err}"[:ERROR_LIMIT]))
    if not (schedule.include_ccx or schedule.only_ccx):
        return list(dict.fromkeys(keys)), skipped
    masters = [key for key in keys if not is_ccx(key)]
    try:
        ccx_keys = ccx_keys_by_master(masters) if masters else {}
    except LookupError as err:
        # Masters still run with include_ccx; with only_ccx they stand for their missing CCXs.
        log.warning("Periodic report schedule %s: %s; its CCXs are not run.", schedule.pk, err)
        if schedule.only_ccx:
            skipped.extend(Skipped(str(key), f"ccx_unavailable: {err}") for key in masters)
        ccx_keys = {}
    expanded = []
    for key in keys:
        if not is_ccx(key):
            if not schedule.only_ccx:
                expanded.append(key)
            expanded.extend(ccx_keys.get(key, []))
        else:
            expanded.append(key)
    return list(dict.fromkeys(expanded)), skipped
