"""
Which courses a schedule means.

Its listed ids, the CCXs of its master courses, and the platform's courses of its organisations
and state, chosen again at each run.
"""

import datetime
import json
import logging
from dataclasses import dataclass

from ccx_keys.locator import CCXLocator
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.db.models.lookups import In
from django.utils import timezone
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from periodic_instructor_reports import platform
from periodic_instructor_reports.lengths import error_text
from periodic_instructor_reports.states import CourseState

log = logging.getLogger(__name__)

# How a CCX's id starts (``CCXLocator``'s namespace), in the platform's course list too.
CCX_PREFIX = CCXLocator.CANONICAL_NAMESPACE + ":"
# How a course's id starts (``CourseLocator``'s namespace).
COURSE_PREFIX = CourseLocator.CANONICAL_NAMESPACE + ":"
# Listed ids looked up per query while a run is recorded.
BATCH_SIZE = 500
# Why a listed id that names no course is skipped.
NO_SUCH_COURSE = "no such course: the platform has no course or CCX with this id"
# The most days "starting within" and "ended within" may mean (a century): more is refused at save.
MAX_STATE_DAYS = 36500


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


def missing_courses(keys):
    """
    Return the keys (of ``keys``) that name no course or CCX of the platform (three queries at most).

    Without the platform's course list (outside the LMS) nothing is missing.
    """
    overview = platform.course_overview_model()
    if overview is None or not keys:
        return []
    masters = {key for key in keys if not is_ccx(key)}
    # Keys, not text, go in (the field would parse text again). When all are there, as is usual,
    # a count says so; else their ids come out as text: parsing every id would cost more.
    found = overview.objects.filter(id__in=masters)
    if masters and found.count() == len(masters):
        known = None  # every master course is there
    else:
        known = set(found.annotate(text=Cast("id", CharField())).values_list("text", flat=True))
    ccxs = [key for key in keys if is_ccx(key)]
    if known is None and not ccxs:
        return []
    known_ccx = set()
    model = platform.ccx_model()
    if ccxs and model is not None:
        numbers = [int(key.ccx) for key in ccxs if str(key.ccx).isdigit()]
        for ccx in model.objects.filter(id__in=numbers):
            known_ccx.add(str(ccx.locator))
    return [key for key in ccxs if str(key) not in known_ccx] if known is None else [
        key for key in keys if str(key) not in (known_ccx if is_ccx(key) else known)
    ]


def selected_courses(schedule, *, now=None):
    """
    Return the keys of the platform's courses the schedule selects by organisation and state, now.

    The platform keeps an overview of each CCX, with the CCX's own dates: a CCX is selected with
    ``include_ccx``, only CCXs are with ``only_ccx``, and none otherwise, as for listed courses.
    An empty list when it selects none, or outside the LMS (no course list).
    """
    return [CourseKey.from_string(course_id) for course_id in selected_ids(schedule, now=now)]


def selected_ids(schedule, *, now=None, lazily=False):
    """
    Return ``selected_courses``' ids as text, as the platform lists them (its keys are not parsed).

    With ``lazily``, an iterator that reads them from the database in chunks.
    """
    overview = platform.course_overview_model()
    if overview is None or not schedule.selects_courses:
        return []
    now = now or timezone.now()
    rows = overview.objects.all()
    if schedule.course_orgs:
        rows = rows.filter(org__in=schedule.course_orgs)
    # Bounded, so a value stored before the bound was checked cannot overflow the date arithmetic.
    days = datetime.timedelta(days=min(schedule.course_state_days or 0, MAX_STATE_DAYS))
    state = schedule.course_state
    if state == CourseState.RUNNING:
        started = Q(start__lte=now) | Q(start__isnull=True)
        rows = rows.filter(started).filter(Q(end__gt=now) | Q(end__isnull=True))
    elif state == CourseState.STARTING:
        rows = rows.filter(start__gte=now, start__lte=now + days)
    elif state == CourseState.ENDED:
        rows = rows.filter(end__gte=now - days, end__lte=now)
    # The platform keeps an overview of each CCX too: they follow the schedule's CCX choices.
    if schedule.only_ccx:
        rows = rows.filter(id__startswith=CCX_PREFIX)
    elif not schedule.include_ccx:
        rows = rows.exclude(id__startswith=CCX_PREFIX)
    course_ids = rows.annotate(text=Cast("id", CharField())).order_by("id").values_list("text", flat=True)
    return course_ids.iterator(BATCH_SIZE) if lazily else list(course_ids)


def course_key(course_id):
    """
    Return the course's key, as ``CourseKey.from_string`` does (its error too), for a run's every course.

    The common ``course-v1:org+course+run`` is built from its three parts: the key checks each
    part as parsing does, in two thirds of the time (ADR 0029). Any other id, or one refused
    built so, is parsed.
    """
    if course_id.startswith(COURSE_PREFIX):
        parts = course_id[len(COURSE_PREFIX):].split("+")
        if len(parts) == 3:
            try:
                return CourseLocator(*parts)
            except InvalidKeyError:
                pass
    return CourseKey.from_string(course_id)


def target_courses(schedule, only=None, *, now=None):
    """Return ``(course keys to run, [Skipped])`` for a schedule: ``target_batches`` put together."""
    keys, skipped = [], []
    for batch_ids, batch_skipped in target_batches(schedule, only, now=now):
        keys += [CourseKey.from_string(course_id) for course_id in batch_ids]
        skipped += batch_skipped
    return keys, skipped


def target_batches(schedule, only=None, *, now=None, size=BATCH_SIZE):
    """
    Yield ``(course ids to run, [Skipped])`` for a schedule, ``size`` listed ids at a time.

    Listed ids run as given (an id that no longer names a course is skipped); with ``include_ccx``
    the CCXs of listed master courses run after their master, and with ``only_ccx`` the masters
    themselves are left out. Then the courses the schedule selects by organisation and state.
    Each course comes once, its id as the platform writes it. ``only`` (course id strings) keeps
    just those. A run of 50,000 courses holds their ids, never all their keys or rows at once (a
    few queries per batch). Ids the platform lists as they are written are not parsed: the run
    parses each course's key once, when it submits the course (ADR 0025).
    """
    wanted = set(only) if only is not None else None
    seen = set()

    def fresh(course_ids):
        new = []
        for course_id in course_ids:
            if course_id not in seen and (wanted is None or course_id in wanted):
                seen.add(course_id)
                new.append(course_id)
        return new

    listed = schedule.course_ids or []
    for start in range(0, len(listed), size):
        course_ids, skipped = _listed_ids(schedule, listed[start:start + size])
        if wanted is not None:
            skipped = [outcome for outcome in skipped if outcome.course_id in wanted]
        yield fresh(course_ids), skipped
    batch = []
    for course_id in selected_ids(schedule, now=now, lazily=True):
        batch.append(course_id)
        if len(batch) == size:
            yield fresh(batch), []
            batch = []
    if batch:
        yield fresh(batch), []


def known_ids(course_ids):
    """
    Return the ids, of master course ids, the platform's course list has exactly as written (one query).

    The ids go in as text: the course list's key field would parse each (twice, to strip its
    branch and version). When all are there, as is usual, a count says so. Nothing outside the LMS
    (no course list): every id is then parsed.
    """
    overview = platform.course_overview_model()
    if overview is None or not course_ids:
        return set()
    rows = overview.objects.filter(_TextIn(F("id"), list(course_ids)))
    if rows.count() == len(set(course_ids)):
        return set(course_ids)
    return set(rows.annotate(text=Cast("id", CharField())).values_list("text", flat=True))


class _TextIn(In):
    """
    ``IN`` taking its values as the column's text, never through the field (a key field parses).

    On PostgreSQL the values go as one JSON parameter: half the time of 500 parameters (ADR 0027).
    """

    prepare_rhs = False

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        return f"{lhs} IN (SELECT jsonb_array_elements_text(%s::jsonb))", (*lhs_params, json.dumps(values))


def _listed_ids(schedule, course_ids):
    """
    Return ``(ids to run, [Skipped])`` of a slice of the listed ids, in their order.

    A master course's id the platform lists as it is written runs as it is. Any other id is
    parsed: one that is not a key is skipped, and a key is looked for as the platform would
    (``missing_courses``), then runs under the platform's spelling of it. With the CCX choices
    every id is parsed (its CCXs are looked up by key).
    """
    if schedule.include_ccx or schedule.only_ccx:
        keys, skipped = _listed_courses(schedule, course_ids)
        return _found(keys, skipped)
    listed = list(dict.fromkeys(course_ids))
    known = known_ids([course_id for course_id in listed
                       if isinstance(course_id, str) and not course_id.startswith(CCX_PREFIX)])
    if len(known) == len(listed):
        return listed, []
    keys, skipped = {}, []
    for course_id in listed:
        if course_id not in known:
            try:
                keys[course_id] = CourseKey.from_string(course_id)
            except InvalidKeyError as err:
                skipped.append(_invalid(course_id, err))
    found, skipped = _found(list(keys.values()), skipped)
    found = set(found)
    return [course_id if course_id in known else str(keys[course_id]) for course_id in listed
            if course_id in known or (course_id in keys and str(keys[course_id]) in found)], skipped


def _found(keys, skipped):
    gone = set(missing_courses(keys))
    skipped = skipped + [Skipped(str(key), NO_SUCH_COURSE) for key in keys if key in gone]
    return [str(key) for key in keys if key not in gone], skipped


def _listed_courses(schedule, course_ids):
    """Return ``(keys, [Skipped])`` of listed ids with the CCX choices: each CCX after its master."""
    keys, skipped = [], []
    for course_id in course_ids:
        try:
            keys.append(CourseKey.from_string(course_id))
        except InvalidKeyError as err:
            skipped.append(_invalid(course_id, err))
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


def _invalid(course_id, err):
    return Skipped(str(course_id), error_text(f"invalid_course: InvalidKeyError: {err}"))
