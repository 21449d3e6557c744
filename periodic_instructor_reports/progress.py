"""
How far runs are: courses waiting for a slot, in flight, finished, and the expected end.

Read by the run's admin page and the course-team API, for one run or a page of runs, in a few
queries whatever the number of courses: counts grouped by run and outcome, the queue's sizes,
the platform's unfinished tasks, and the expected end of the runs still going.
"""

import dataclasses
import datetime

from django.db.models import Count, Sum

from periodic_instructor_reports import states
from periodic_instructor_reports.models import ReportRunBatch, ReportRunCourse
from periodic_instructor_reports.runs import pacing
from periodic_instructor_reports.states import Outcome

# Outcomes of a course still to submit or being submitted (waiting), and of one the platform has.
WAITING = states.OPEN
SUBMITTED = (Outcome.SUBMITTED,)


@dataclasses.dataclass(frozen=True)
class Progress:
    """
    One run's courses: ``waiting`` for a slot, ``in_flight`` on the platform, ``finished``.

    ``settling`` are submitted reports the platform ended that the run has yet to record;
    ``expected_end`` is foreseen from the run's own reports so far (None until one ended, and
    once the run is over).
    """

    waiting: int
    in_flight: int
    settling: int
    finished: int
    expected_end: datetime.datetime | None


def slots(run):
    """Return how many of the run's reports are foreseen to generate at once: the most it had, or 1."""
    figures = run.pacing if isinstance(run.pacing, dict) else {}
    most = figures.get("most_in_flight")
    return most if isinstance(most, int) and most > 0 else 1


def progress_by_run(runs):
    """Return ``{run id: Progress}`` of ``runs`` (model instances)."""
    runs = list(runs)
    ids = [run.pk for run in runs]
    if not ids:
        return {}
    counts = {}
    for run_id, outcome, count in ReportRunCourse.objects.filter(run_id__in=ids).values_list(
        "run_id", "outcome",
    ).annotate(n=Count("pk")).values_list("run_id", "outcome", "n"):
        counts.setdefault(run_id, {})[outcome] = count
    queued = _queued(runs, counts)
    flying = pacing.in_flight_by_run(ids)
    found = {}
    for run in runs:
        by_outcome = counts.get(run.pk, {})
        in_flight = flying.get(run.pk, 0)
        submitted = sum(by_outcome.get(outcome, 0) for outcome in SUBMITTED)
        going = run.status in states.IN_PROGRESS
        found[run.pk] = Progress(
            waiting=queued.get(run.pk, 0) + sum(by_outcome.get(outcome, 0) for outcome in WAITING),
            in_flight=in_flight,
            settling=max(0, submitted - in_flight),
            finished=sum(count for outcome, count in by_outcome.items()
                         if outcome not in WAITING and outcome not in SUBMITTED),
            expected_end=pacing.foresee(run, slots=slots(run)) if going else None,
        )
    return found


def _queued(runs, counts):
    """
    Return ``{run id: courses not recorded yet}``: its total less its course rows.

    A run still recording its courses has no total yet: its queue's sizes are counted instead.
    """
    queued, recording = {}, []
    for run in runs:
        if run.course_total is None:
            recording.append(run.pk)
        else:
            queued[run.pk] = max(0, run.course_total - sum(counts.get(run.pk, {}).values()))
    if recording:
        queued.update(ReportRunBatch.objects.filter(run_id__in=recording).values_list("run_id").annotate(
            n=Sum("size"),
        ).values_list("run_id", "n"))
    return queued


def run_progress(run):
    """Return the ``Progress`` of one run."""
    return progress_by_run([run])[run.pk]
