"""How a moment is shown to people: in a zone, with its UTC offset where the zone's name is ambiguous."""

from django.utils import timezone


def local(moment, zone=None):
    """Return ``moment`` in ``zone`` (the site's ``TIME_ZONE`` by default)."""
    return timezone.localtime(moment, zone or timezone.get_default_timezone())


def is_ambiguous(local_moment):
    """Return whether the wall-clock time of ``local_moment`` occurs twice in its zone (a fall-back)."""
    other = local_moment.replace(fold=1 - local_moment.fold)
    return other.utcoffset() != local_moment.utcoffset()


def offset_text(local_moment):
    """Return the UTC offset of ``local_moment``: ``UTC-04:00``, ``UTC+10:30``."""
    minutes = int(local_moment.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def local_text(moment, zone=None):
    """
    Return ``moment`` for people: ``Sun 2026-11-01 01:30:00 America/New_York (UTC-04:00)``.

    The weekday, date, time with seconds and the zone's name; the UTC offset too when the zone's
    name alone does not tell which time it is: the two 01:30s of a fall-back day.
    """
    if moment is None:
        return "-"
    shown = local(moment, zone)
    text = f"{shown:%a %Y-%m-%d %H:%M:%S} {shown.tzinfo}"
    return f"{text} ({offset_text(shown)})" if is_ambiguous(shown) else text


def local_iso(moment, zone=None):
    """Return ``moment`` in ``zone`` as ISO 8601 with its offset: ``2026-11-01T01:30:00-05:00``."""
    if moment is None:
        return None
    return local(moment, zone).isoformat(timespec="seconds")
