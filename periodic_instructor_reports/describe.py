"""How a schedule's times are said to people: durations and crontabs in words."""

from cron_descriptor import Options as CronOptions
from cron_descriptor import get_description
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from periodic_instructor_reports import timing

_UNITS = [
    (86400, lambda n: ngettext("%(count)d day", "%(count)d days", n)),
    (3600, lambda n: ngettext("%(count)d hour", "%(count)d hours", n)),
    (60, lambda n: ngettext("%(count)d minute", "%(count)d minutes", n)),
    (1, lambda n: ngettext("%(count)d second", "%(count)d seconds", n)),
]


def duration_text(seconds):
    """Return a duration in words, largest units first: ``1 hour 30 minutes``, ``0 seconds``."""
    seconds = int(seconds)
    if seconds <= 0:
        return _UNITS[-1][1](seconds) % {"count": seconds}
    parts = []
    for size, words in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(words(count) % {"count": count})
    return " ".join(parts)


# celery's day-of-week numbers (0 is Sunday), in words.
_WEEKDAYS = [
    gettext_lazy("Sunday"), gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
]


def _joined(words):
    words = [str(word) for word in words]
    return words[0] if len(words) == 1 else _("%(first)s and %(last)s") % {
        "first": ", ".join(words[:-1]), "last": words[-1],
    }


def describe_crontab(crontab):
    """Return a crontab in words: ``every Monday at 07:00``, ``every day at 06:30 and 18:30``..."""
    try:
        cron = crontab.schedule
    except ValueError:
        cron = None
    # Older celery releases accept a date no calendar has (31 February): the calendar decides.
    if cron is None or timing.crontab_gap(crontab) is None:
        return _("never (the crontab matches no date)")
    every_day_of_month = cron.day_of_month == set(range(1, 32)) and cron.month_of_year == set(range(1, 13))
    times = sorted(hour * 60 + minute for hour in cron.hour for minute in cron.minute)
    if every_day_of_month and len(times) <= 4:
        at = _joined([f"{time // 60:02d}:{time % 60:02d}" for time in times])
        if len(cron.day_of_week) == 7:
            return _("every day at %(times)s") % {"times": at}
        days = _joined([_WEEKDAYS[day] for day in sorted(cron.day_of_week, key=lambda day: (day - 1) % 7)])
        return _("every %(days)s at %(times)s") % {"days": days, "times": at}
    options = CronOptions()
    options.use_24hour_time_format = True
    expression = " ".join([crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year,
                           crontab.day_of_week])
    try:
        described = get_description(expression, options)
    except Exception:  # pylint: disable=broad-except  (a description is never worth an error page)
        return expression
    return described[:1].lower() + described[1:]


def describe_when(schedule):
    """Return when a schedule runs, in words: ``every 6 hours``, ``every Monday at 07:00 (Europe/Paris)``."""
    if schedule.crontab_id:
        when = describe_crontab(schedule.crontab)
        return _("%(when)s (%(zone)s)") % {"when": when, "zone": schedule.crontab.timezone}
    if not schedule.interval_id:
        return "-"
    seconds = timing.interval_of(schedule).total_seconds()
    for size, words in _UNITS:
        if seconds == size:
            return _("every %(unit)s") % {"unit": (words(1) % {"count": 1}).split(" ", 1)[1]}
    return _("every %(duration)s") % {"duration": duration_text(seconds)}
