"""When a schedule runs: its time zone, its next run times and its latest due time."""

import datetime

from django.utils import timezone

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


def time_zone(schedule):
    """Return the schedule's time zone: its crontab's, else the site's ``TIME_ZONE``."""
    if schedule.crontab_id:
        return schedule.crontab.timezone
    return timezone.get_default_timezone()


def run_date(schedule, moment):
    """Return the date of ``moment`` in the schedule's time zone (the ``by_date`` folder)."""
    return timezone.localdate(moment, time_zone(schedule))


def _interval(schedule):
    return datetime.timedelta(**{schedule.interval.period: schedule.interval.every})


def _cron_step(crontab, moment):
    """
    Return the first due time of ``crontab`` after ``moment`` by celery's own arithmetic, in UTC.

    Celery computes in the zone of the datetime it is given: 5.7 converts it into the crontab's
    zone itself, 5.6 and earlier do not, so ``moment`` is converted here first (a "Monday 07:00
    Europe/Paris" crontab would otherwise run at 07:00 UTC). Celery up to 5.6 also looks at its
    clock and steps within the hour only when the moment falls on today's date, so the schedule's
    clock is set to ``moment``: the answer depends on ``moment`` alone, as on 5.7.
    """
    cron = crontab.schedule  # a TzAwareCrontab: a new object on every access
    local = moment.astimezone(getattr(cron, "tz", None) or crontab.timezone)
    cron.nowfun = lambda: local
    _, delta, _ = cron.remaining_delta(local)
    # ``local + delta`` sets the wall-clock fields in the crontab's zone: DST is handled there.
    return (local + delta).astimezone(datetime.UTC)


def cron_next_after(crontab, moment):
    """Return the first due time of ``crontab`` strictly after ``moment``, in UTC."""
    following = _cron_step(crontab, moment)
    if following <= moment:  # the moment is a due time itself (seconds dropped): step one minute
        following = _cron_step(crontab, moment + datetime.timedelta(minutes=1))
    return following


def next_after(schedule, moment):
    """Return the schedule's first due time strictly after ``moment``."""
    if schedule.crontab_id:
        return cron_next_after(schedule.crontab, moment)
    return moment + _interval(schedule)


def next_runs(schedule, *, after, count=5):
    """
    Return the schedule's next ``count`` due times after ``after``.

    For a crontab these are the crontab's times in its time zone; for an interval, ``after`` is
    the last run (or now) and the times are whole intervals after it.
    """
    times, moment = [], after
    for _ in range(count):
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
        every = _interval(schedule)
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


def next_run(schedule, *, last_run_at, now):
    """
    Return when the schedule runs next, or None when it is paused.

    A crontab's next due time after ``now``; for an interval, one interval after ``last_run_at``
    (beat's last run, or the last automatic run), or after creation when it never ran. A time in
    the past means the schedule is overdue: beat (or the cron command) is not running it.
    """
    if not schedule.enabled:
        return None
    if schedule.crontab_id:
        return cron_next_after(schedule.crontab, now)
    if not schedule.interval_id:
        return None
    return (last_run_at or schedule.created) + _interval(schedule)
