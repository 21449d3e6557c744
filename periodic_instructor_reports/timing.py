"""
The arithmetic of a schedule's times: its time zone, next run times, due times and gaps.

What it says to people is in ``describe``.
"""

import datetime
import functools
import itertools

from celery.schedules import crontab as celery_crontab
from django.utils import timezone

from periodic_instructor_reports import conf

# Windows searched backwards from now for the latest due crontab time, smallest first; the search
# steps through the due times of the first window that holds one, so it stays short.
_LOOKBACK = [
    datetime.timedelta(minutes=2),
    datetime.timedelta(hours=2),
    datetime.timedelta(days=2),
    datetime.timedelta(days=8),
    datetime.timedelta(days=32),
    datetime.timedelta(days=367),
    datetime.timedelta(days=366 * 5),
]


# The most a change of UTC offset shortens the real time between two wall-clock times (the
# 2 hours of Antarctica/Troll; elsewhere 1 hour, or 30 minutes on Lord Howe Island).
LARGEST_SHIFT = datetime.timedelta(hours=2)


def time_zone(schedule):
    """Return the schedule's time zone: its crontab's, else the site's ``TIME_ZONE``."""
    if schedule.crontab_id:
        return schedule.crontab.timezone
    return timezone.get_default_timezone()


def run_date(schedule, moment):
    """Return the date of ``moment`` in the schedule's time zone (the ``by_date`` folder)."""
    return timezone.localdate(moment, time_zone(schedule))


def interval_of(schedule):
    """Return an interval schedule's interval as a duration."""
    return datetime.timedelta(**{schedule.interval.period: schedule.interval.every})


# 28 years from a leap year hold every pattern of days a crontab can match (weekdays of
# leap days repeat every 28 years).
_CALENDAR_START = datetime.date(2024, 1, 1)
_CALENDAR_DAYS = 28 * 365 + 7


def crontab_gap(crontab):
    """Return the shortest time between two due times of ``crontab``, or None if it never fires."""
    return _gap_of_fields(
        crontab.minute, crontab.hour, crontab.day_of_week, crontab.day_of_month, crontab.month_of_year,
    )


@functools.lru_cache(maxsize=256)
def _gap_of_fields(minute, hour, day_of_week, day_of_month, month_of_year):
    try:
        cron = celery_crontab(minute=minute, hour=hour, day_of_week=day_of_week, day_of_month=day_of_month,
                              month_of_year=month_of_year)
    except ValueError:  # celery refuses a day that never occurs in the months given
        return None
    times = sorted(hour * 60 + minute for hour in cron.hour for minute in cron.minute)
    days = [
        day for day in (_CALENDAR_START + datetime.timedelta(days=n) for n in range(_CALENDAR_DAYS))
        if day.month in cron.month_of_year and day.day in cron.day_of_month
        and day.isoweekday() % 7 in cron.day_of_week
    ]
    if not times or not days:
        return None
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    if len(days) > 1:
        fewest_days = min((later - earlier).days for earlier, later in itertools.pairwise(days))
        gaps.append(fewest_days * 24 * 60 - times[-1] + times[0])
    return datetime.timedelta(minutes=min(gaps)) if gaps else datetime.timedelta(days=_CALENDAR_DAYS)


def shortest_gap(schedule):
    """
    Return the shortest time the schedule can leave between two runs, or None if it never runs.

    An interval's length (zero or negative for a broken interval row); for a crontab, the
    closest two of its due times in wall-clock time in its own zone: the measure of
    ``gap_between``, which the run-time check uses too (a daylight saving change that shortens
    one gap in real time is not counted, at save or at run).
    """
    if schedule.crontab_id:
        return crontab_gap(schedule.crontab)
    if schedule.interval_id:
        return interval_of(schedule)
    return None


def _matches(cron, wall):
    return (wall.minute in cron.minute and wall.hour in cron.hour and wall.day in cron.day_of_month
            and wall.month in cron.month_of_year and wall.isoweekday() % 7 in cron.day_of_week)


def _wall_time(cron, zone, moment):
    """
    Return the crontab's own wall-clock time that the due time ``moment`` stands for (naive).

    That is ``moment`` read in the zone, except for a wall time a spring-forward skips: celery
    puts it at its reading with the offset before the change (New York's 02:30 at 03:30 EDT,
    Lord Howe's 02:00 at 02:30), so it is read back with that offset.
    """
    local = moment.astimezone(zone).replace(tzinfo=None)
    if _matches(cron, local):
        return local
    offset_before = (moment - datetime.timedelta(days=1)).astimezone(zone).utcoffset()
    skipped = (moment + offset_before).replace(tzinfo=None)
    return skipped if _matches(cron, skipped) else local


def gap_between(schedule, earlier, later):
    """
    Return how far apart two due times of ``schedule`` are, as the ``MIN_INTERVAL`` rule measures it.

    The one measure of the rule, at save (``shortest_gap``) and at run (a run too soon after the
    previous one is skipped): an interval in real time, a crontab in wall-clock time in its
    zone, between the times it names. A daylight saving change that shortens a crontab's gap in
    real time (an hourly crontab's 02:00 and 03:00 are 30 minutes apart when Lord Howe Island
    skips to 02:30) does not count, so a schedule accepted at save never has a due time skipped.
    """
    if schedule.crontab_id:
        try:
            cron, zone = _cron(schedule.crontab)
        except ValueError:  # a crontab that matches no date has no due times to measure
            return later - earlier
        return _wall_time(cron, zone, later) - _wall_time(cron, zone, earlier)
    return later - earlier


def _cron_step(cron, zone, moment):
    """
    Return the first due time of ``cron`` after ``moment`` by celery's own arithmetic, in UTC.

    Celery computes in the zone of the datetime it is given: 5.7 converts it into the crontab's
    zone itself, 5.6 and earlier do not, so ``moment`` is converted here first (a "Monday 07:00
    Europe/Paris" crontab would otherwise run at 07:00 UTC). Celery up to 5.6 also looks at its
    clock and steps within the hour only when the moment falls on today's date, so the schedule's
    clock is set to ``moment``: the answer depends on ``moment`` alone, as on 5.7.

    Celery reads the wall-clock time only and names a wall time in its first occurrence: in a
    fall-back's repeated hour the answer can be a time of the hour's first pass, before ``moment``.
    """
    local = moment.astimezone(zone)
    cron.nowfun = lambda: local
    _, delta, _ = cron.remaining_delta(local)
    # ``local + delta`` sets the wall-clock fields in the crontab's zone: DST is handled there.
    return (local + delta).astimezone(datetime.UTC)


def _cron(crontab):
    """Return celery's crontab of ``crontab`` (a new object on every access) and its time zone."""
    cron = crontab.schedule
    return cron, getattr(cron, "tz", None) or crontab.timezone


def _cron_chain(cron, zone, moment):
    """
    Return ``(start, following)``: the first due time strictly after ``moment``, and what beat steps from.

    Due times are the ones beat sends, stepping from each send to the next with celery's
    arithmetic, which reads wall-clock times only. Near a change of UTC offset a step from
    ``moment`` itself can go wrong, so the steps then come across the change from before it,
    as beat's do: in a fall-back's repeated hour a step names a wall time's first occurrence,
    already gone (stepping goes on from it: its second occurrence is no due time, as for beat,
    which sends each wall time once); after a spring-forward a step from the wall clock's new
    time would pass over a skipped time put later (a skipped 02:30 runs at 03:30). ``start`` is
    the last time stepped from, at or before ``moment``: a beat row counting from it is sent
    next at ``following``.
    """
    start = moment
    if (moment - LARGEST_SHIFT).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
        start = moment - LARGEST_SHIFT
    following = _cron_step(cron, zone, start)
    while following <= moment:
        start, following = following, _cron_step(cron, zone, following)
    return start, following


def cron_next_after(crontab, moment):
    """Return the first due time of ``crontab`` strictly after ``moment``, in UTC."""
    return _cron_chain(*_cron(crontab), moment)[1]


def beat_counts_from(schedule, now):
    """
    Return the ``last_run_at`` for the schedule's beat row so that beat sends it next at its next due time.

    Beat fires an interval one interval after ``last_run_at``: the schedule's latest due time
    keeps it on the schedule's grid. A crontab counts from ``now``, except near a change of UTC
    offset, where it counts from where the schedule's steps came across it: in the second pass of
    a fall-back's repeated hour beat stepping from ``now`` would find a time of the first pass due
    on every tick.
    """
    if schedule.crontab_id:
        return _cron_chain(*_cron(schedule.crontab), now)[0]
    return due_time(schedule, now)


def next_after(schedule, moment):
    """Return the schedule's first due time strictly after ``moment``."""
    if schedule.crontab_id:
        return cron_next_after(schedule.crontab, moment)
    return moment + interval_of(schedule)


def next_runs(schedule, *, after, count=5):
    """
    Return the schedule's next ``count`` due times after ``after``.

    For a crontab these are the crontab's times in its time zone; for an interval, ``after`` is
    the last run (or now) and the times are whole intervals after it.
    """
    times, moment = [], after
    for _number in range(count):
        moment = next_after(schedule, moment)
        times.append(moment)
    return times


def latest_due(schedule, *, since, now):
    """
    Return the latest due time after ``since`` and at or before ``now``, or None.

    ``since`` is the previous due time the schedule ran for (or when it was created). Due times
    missed in between are not returned: a late run catches up once, with the latest one.
    """
    if since >= now:
        return None
    if not schedule.crontab_id:
        every = interval_of(schedule)
        if every <= datetime.timedelta(0):
            return None
        elapsed = (now - since) // every
        return since + elapsed * every if elapsed else None
    for window in _LOOKBACK:
        moment = max(since, now - window)
        due = cron_next_after(schedule.crontab, moment)
        if due <= now:
            while True:
                following = cron_next_after(schedule.crontab, due)
                if following > now:
                    return due
                due = following
        if moment == since:
            return None
    return None


def due_time(schedule, now):
    """
    Return the due time a run of ``schedule`` started at ``now`` is for: its latest at or before now.

    Due times are the schedule's own grid, whoever starts the run: whole intervals after the
    schedule's anchor, or its crontab's times in the crontab's zone. So two beats, a restarted
    beat and the cron command all name the same due time, and the database's one run per
    (schedule, due time) rule keeps them from running it twice. A run started before the first
    due time after the anchor is for the anchor itself; an interval that is not positive has no
    grid, and its runs are for ``now``.
    """
    if not schedule.crontab_id and interval_of(schedule) <= datetime.timedelta(0):
        return now
    return latest_due(schedule, since=schedule.anchor, now=now) or min(schedule.anchor, now)


# At most this many missed due times are counted between two runs.
MISSED_LIMIT = 1000


def missed_between(schedule, earlier, later):
    """
    Return how many due times of ``schedule`` lie strictly between two due times it ran for.

    Times before the anchor (the schedule was paused, or its interval changed) are not counted,
    nor times the ``MIN_INTERVAL`` rule skips (a schedule made to run more often in the beat
    admin): those passed without a run by the plugin's own rule, not because workers or the
    broker were down.
    """
    start = max(earlier, schedule.anchor)
    if later <= start:
        return 0
    minimum = datetime.timedelta(seconds=conf.get("MIN_INTERVAL"))
    if not schedule.crontab_id:
        every = interval_of(schedule)
        if every <= datetime.timedelta(0):
            return 0
        # Grid times (start + n intervals) that run: the first one the minimum after the last
        # run, then every ``step``-th.
        step = max(1, -(-minimum // every))
        first = max(1, -(-(earlier + minimum - start) // every))
        last = -(-(later - start) // every) - 1
        return min(MISSED_LIMIT, max(0, (last - first) // step + 1))
    cron, zone = _cron(schedule.crontab)
    count, ran, moment = 0, earlier, _cron_chain(cron, zone, start)[1]
    while moment < later and count < MISSED_LIMIT:
        if _wall_time(cron, zone, moment) - _wall_time(cron, zone, ran) >= minimum:  # gap_between
            count, ran = count + 1, moment
            # No due time less than the minimum (less a daylight saving change) later runs.
            moment = max(moment, ran + minimum - LARGEST_SHIFT - datetime.timedelta(seconds=1))
        moment = _cron_chain(cron, zone, moment)[1]
    return count


def next_run(schedule, *, last_due, now):
    """
    Return when the schedule runs next, or None when it is paused.

    A crontab's next due time after ``now``; for an interval, the first due time after the last
    one it ran for by beat or cron (or after its anchor). A time in the past means the schedule
    is overdue: beat (or the cron command) is not running it.
    """
    if not schedule.enabled:
        return None
    if schedule.crontab_id:
        return cron_next_after(schedule.crontab, now)
    if not schedule.interval_id:
        return None
    return max(filter(None, [last_due, schedule.anchor])) + interval_of(schedule)
