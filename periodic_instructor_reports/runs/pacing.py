"""
Pacing: the plugin's reports in flight stay under the site's cap, shared fairly between runs.

A report the plugin submitted holds a slot while its platform task row is QUEUING or PROGRESS;
a run about to submit holds the slots it reserved (``ReportRun.reserved``) until its
submissions are stored. Slots are counted and reserved under a lock on one row (``SlotGate``),
so workers pacing runs at the same moment take turns and never grant more than the cap
together. Reports the dashboard submits are neither counted nor delayed: the cap paces the
plugin's own submissions only.

Fair share (ADR 0023): each run that still has courses to submit is entitled to an equal share
of the cap. A run below its share takes free slots up to it; a run above its share takes only
the free slots the others are not entitled to. So a 10-course schedule that starts while a
2,000-course one fills the cap gets its share as the big run's reports finish, and a run alone
takes the whole cap. A schedule may also have a cap of its own.
"""

import datetime
import logging
import math
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from periodic_instructor_reports import conf, platform, states, times
from periodic_instructor_reports.lengths import error_text
from periodic_instructor_reports.models import ReportRun, ReportRunBatch, ReportRunCourse, SlotGate
from periodic_instructor_reports.runs import handoff, lease
from periodic_instructor_reports.states import Outcome

log = logging.getLogger(__name__)

# The platform's task states of a report that holds a slot.
IN_FLIGHT_STATES = ("QUEUING", "PROGRESS")
# Task ids looked up in the platform's table per query.
ID_CHUNK = 1000
# Waiting runs woken when a report ends (the others wait their own countdown).
WAKE_LIMIT = 20
# Ended reports of a run its expected end is foreseen from.
FORESEE_SAMPLE = 50
# Late runs told per follow-up check (the next check takes the rest).
LATE_SWEEP = 100


def in_flight_by_run(run_ids=None):
    """
    Return ``{run id: reports in flight}``: the runs' submitted reports whose platform task is unfinished.

    The plugin's submitted courses of runs not over (their reports are the only ones that can
    still be unfinished), then the platform's rows of their task ids that are unfinished, by its
    task id index: two queries (and one more per ``ID_CHUNK`` reports), whatever the size of
    either table. Every run when ``run_ids`` is None.
    """
    model = platform.instructor_task_model()
    if model is None:
        return {}
    rows = ReportRunCourse.objects.filter(outcome=Outcome.SUBMITTED, run__status__in=states.IN_PROGRESS)
    if run_ids is not None:
        rows = rows.filter(run_id__in=run_ids)
    run_of_task = dict(rows.exclude(task_id="").values_list("task_id", "run_id"))
    task_ids = list(run_of_task)
    counts = Counter()
    for start in range(0, len(task_ids), ID_CHUNK):
        unfinished = model.objects.filter(
            task_id__in=task_ids[start:start + ID_CHUNK], task_state__in=IN_FLIGHT_STATES,
        ).values_list("task_id", flat=True)
        counts.update(run_of_task[task_id] for task_id in unfinished)
    return dict(counts)


def _waiting_runs(now):
    """
    Return ``{run id: (courses left in its queue, slots it reserved)}`` of the runs that share the cap.

    Unfinished runs with courses still queued, and any run holding a reservation that has not
    stalled (a stalled run's reservation lapses after the ``RESUME_AFTER`` setting).
    """
    fresh = now - datetime.timedelta(seconds=conf.get("RESUME_AFTER"))
    queued = ReportRunBatch.objects.filter(run_id=OuterRef("pk"))
    runs = ReportRun.objects.filter(status__in=states.UNFINISHED).filter(
        Exists(queued) | Q(reserved__gt=0, heartbeat_at__gte=fresh)
    ).annotate(left=Sum("batches__size"))
    return {pk: (left or 0, reserved) for pk, left, reserved in runs.values_list("pk", "left", "reserved")}


def _lock_gate():
    """Lock the slot gate row for the current transaction, creating it the first time."""
    try:
        return SlotGate.objects.select_for_update().get(pk=1)
    except SlotGate.DoesNotExist:
        try:
            with transaction.atomic():
                SlotGate.objects.create(pk=1)
        except IntegrityError:
            pass  # another worker created it at the same moment
        return SlotGate.objects.select_for_update().get(pk=1)


class Pacer:
    """
    One run's share of the site's cap while it submits: how many courses it may submit now.

    Keeps the figures the run's log line and page show: how often and how long it waited for a
    slot, and the most of its reports in flight it saw.
    """

    def __init__(self, run, schedule_cap=None):
        self.run, self.schedule_cap = run, schedule_cap
        self.cap = conf.get("MAX_IN_FLIGHT") or 0
        self.figures = dict(run.pacing or {})

    @property
    def active(self):
        """Whether the run is paced at all: by the site's cap or its schedule's."""
        return bool(self.cap or self.schedule_cap)

    def grant(self, wanted):
        """
        Reserve and return how many of ``wanted`` submissions the run may make now (0: wait).

        With no cap at all, every one. Else counted and reserved under the gate's lock, in one
        short transaction (the platform is called after it, outside any transaction).
        """
        if not self.active or wanted <= 0:
            return wanted
        if not self.cap:
            own = in_flight_by_run([self.run.pk]).get(self.run.pk, 0)
            return self._note(min(wanted, max(0, self.schedule_cap - own)), own)
        with transaction.atomic():
            gate = _lock_gate()
            granted, own = self._share(wanted)
            ReportRun.objects.filter(pk=self.run.pk).update(reserved=granted)
            gate.updated = timezone.now()
            gate.save(update_fields=["updated"])
        return self._note(granted, own)

    def _share(self, wanted):
        """Return ``(slots granted, the run's reports in flight)`` by the fair share rule."""
        now = timezone.now()
        waiting = _waiting_runs(now)
        waiting.setdefault(self.run.pk, (wanted, 0))
        flying = in_flight_by_run()
        holding = {pk: flying.get(pk, 0) + (reserved if pk != self.run.pk else 0)
                   for pk, (_left, reserved) in waiting.items()}
        others_flying = sum(count for pk, count in flying.items() if pk not in waiting)
        free = self.cap - others_flying - sum(holding.values())
        fair = math.ceil(self.cap / len(waiting))
        owed = sum(max(0, min(fair, left) - holding[pk])
                   for pk, (left, _reserved) in waiting.items() if pk != self.run.pk)
        own = holding[self.run.pk]
        mine = max(0, fair - own)
        granted = min(wanted, max(0, free), max(mine, free - owed))
        if self.schedule_cap:
            granted = min(granted, max(0, self.schedule_cap - own))
        return max(0, granted), own

    def _note(self, granted, own):
        """Note the most reports in flight, and the time waited once slots are granted; return ``granted``."""
        figures = self.figures
        figures["most_in_flight"] = max(figures.get("most_in_flight", 0), own + granted)
        if granted and "paused_at" in figures:
            waited = timezone.now().timestamp() - figures.pop("paused_at")
            figures["waited_seconds"] = round(figures.get("waited_seconds", 0) + waited, 1)
        return granted

    def pause(self):
        """Count a wait for a free slot: the run hands over and looks again later."""
        self.figures["waits"] = self.figures.get("waits", 0) + 1
        self.figures.setdefault("paused_at", timezone.now().timestamp())

    def release(self, holder):
        """Give back the reservation once the submissions it covered are stored (they count themselves)."""
        if self.cap:
            ReportRun.objects.filter(pk=self.run.pk, holder=holder, reserved__gt=0).update(reserved=0)

    def save(self):
        """Store the run's pacing figures (a continuation goes on from them)."""
        if not self.active:
            return
        self.figures["cap"] = self.cap
        if self.schedule_cap:
            self.figures["schedule_cap"] = self.schedule_cap
        ReportRun.objects.filter(pk=self.run.pk).update(pacing=self.figures)
        self.run.pacing = self.figures


def foresee(run, *, slots, now=None):
    """
    Return when the run's last report is expected to be generated, or None until one of them ended.

    From the run's own reports so far (the latest 50 ended: submission to end), for the courses
    still queued or generating, ``slots`` at a time.
    """
    now = now or timezone.now()
    ended = ReportRunCourse.objects.filter(
        run_id=run.pk, outcome__in=(Outcome.GENERATED, Outcome.REPORT_FAILED),
        started_at__isnull=False, finished_at__isnull=False,
    ).order_by("-finished_at").values_list("started_at", "finished_at")[:FORESEE_SAMPLE]
    durations = [finished - started for started, finished in ended if finished >= started]
    if not durations:
        return None
    each = sum(durations, datetime.timedelta(0)) / len(durations)
    queued = ReportRunBatch.objects.filter(run_id=run.pk).aggregate(n=Sum("size"))["n"] or 0
    left = queued + ReportRunCourse.objects.filter(
        run_id=run.pk, outcome__in=(*states.OPEN, Outcome.SUBMITTED),
    ).count()
    return now + each * math.ceil(left / max(1, slots))


def check_window(run, *, slots, now=None):
    """
    Say on the run, once and early, that it will not end within its schedule's window; return the warning.

    Foreseen from its own reports so far (``foresee``); a run past its window with courses
    still queued or generating says so too.
    """
    if run.finish_by is None or run.warning:
        return ""
    now = now or timezone.now()
    end = foresee(run, slots=slots, now=now)
    if now >= run.finish_by:
        warning = f"its window ended at {times.local_text(run.finish_by)} before its reports were generated"
    elif end is not None and end > run.finish_by:
        warning = (f"expected to end about {times.local_text(end)}, after its window ends at "
                   f"{times.local_text(run.finish_by)}")
    else:
        return ""
    warning = error_text(warning)
    if ReportRun.objects.filter(pk=run.pk, warning="").update(warning=warning):
        run.warning = warning
        log.warning("Periodic report run %s: %s.", run.pk, warning)
    return warning


def check_windows(*, now=None):
    """
    Say on each run past its window whose reports are not all generated that it ended late; return how many.

    The follow-up job's part: a run that was on time while it submitted may still be late
    while its last reports generate.
    """
    now = now or timezone.now()
    late = ReportRun.objects.filter(status__in=states.IN_PROGRESS, finish_by__lt=now, warning="")
    return sum(1 for run in late.order_by("pk")[:LATE_SWEEP] if check_window(run, slots=1, now=now))


def wake_parked(*, now=None):
    """
    Hand the runs waiting for a free slot to continuations queued now; return how many.

    Called when a report ends (a slot of the cap may be free), so a waiting run goes on within
    moments rather than at the end of its ``PACE_SECONDS``. Each run is taken from its
    continuation only while that has not started (``lease.unpark``); the share is decided
    again when the new continuation asks for slots, and a run that gets none waits again.
    """
    now = now or timezone.now()
    parked = ReportRun.objects.filter(parked=True, status__in=states.UNFINISHED).order_by("heartbeat_at")
    woken = 0
    for run_id, holder in parked.values_list("pk", "holder")[:WAKE_LIMIT]:
        new_holder = lease.new_holder()
        if not lease.unpark(run_id, holder, new_holder, now=now):
            continue
        if handoff.send_continuation(run_id, new_holder, countdown=0):
            woken += 1
        else:
            lease.release(ReportRun(pk=run_id), new_holder, until=now)
    return woken
