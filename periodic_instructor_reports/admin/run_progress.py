"""The run page's progress block: its courses waiting, in flight and finished, its end, its pacing."""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from periodic_instructor_reports import describe, progress, states
from periodic_instructor_reports.admin.common import local_time


def progress_block(run):
    """Return the run's progress as a short list of labelled figures, then its warning, if any."""
    now = progress.run_progress(run)
    rows = [
        ("waiting", _("Waiting for a slot"), now.waiting),
        ("in-flight", _("In flight"), now.in_flight),
    ]
    if now.settling:
        rows.append(("settling", _("Ended on the platform, being recorded"), now.settling))
    rows += [
        ("finished", _("Finished"), now.finished),
        ("expected-end", _("Expected end"), _expected_end(run, now)),
    ]
    if run.finish_by is not None:
        rows.append(("window", _("Window ends"), local_time(run.finish_by)))
    rows.append(("pacing", _("Pacing"), pacing_words(run.pacing)))
    body = format_html_join("", '<tr class="pir-progress-{}"><th>{}</th><td>{}</td></tr>', rows)
    warning = format_html('<p class="pir-warning pir-run-warning">{}</p>', _(
        "This run will not finish within its window: %(warning)s."
    ) % {"warning": run.warning}) if run.warning else ""
    return format_html('<table class="pir-progress">{}</table>{}', body, warning)


def _expected_end(run, now):
    if run.status not in states.IN_PROGRESS:
        return _("over")
    if now.expected_end is None:
        return _("foreseen once one of its reports has ended")
    return local_time(now.expected_end)


def pacing_words(figures):
    """Return a run's pacing figures in words: its waits for a slot, the most in flight, the caps."""
    figures = figures if isinstance(figures, dict) else {}
    if not figures:
        return _("not paced (no cap applied)")
    waits = figures.get("waits", 0)
    parts = [ngettext(
        "waited for a free slot %(count)d time", "waited for a free slot %(count)d times", waits,
    ) % {"count": waits} if waits else _("never waited for a free slot")]
    if figures.get("waited_seconds"):
        parts.append(_("%(time)s in all") % {"time": describe.duration_text(figures["waited_seconds"])})
    if figures.get("paused_at"):
        parts.append(_("waiting now"))
    most = figures.get("most_in_flight", 0)
    parts.append(ngettext("at most %(count)d report in flight", "at most %(count)d reports in flight",
                          most) % {"count": most})
    caps = []
    if figures.get("cap"):
        caps.append(_("site cap %(cap)d") % {"cap": figures["cap"]})
    if figures.get("schedule_cap"):
        caps.append(_("schedule cap %(cap)d") % {"cap": figures["schedule_cap"]})
    if caps:
        parts.append(", ".join(caps))
    return "; ".join(parts)
