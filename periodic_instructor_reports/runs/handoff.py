"""
Handing a run to a continuation: the one way a run moves on to another Celery task.

A run is handed over when its courses are recorded, when it waits to retry courses already
running, after a broker outage or a time limit, and when the recovery sweep resumes or catches
one up. The holder passes the run to a new holder name first, then queues the continuation
under that name (its task id), so the continuation holds the run when it starts. A broker that
refuses the message leaves the run without a holder: the recovery sweep resumes it.
"""

import datetime
import logging

from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from periodic_instructor_reports import conf, sending
from periodic_instructor_reports.runs import lease, store
from periodic_instructor_reports.states import Dispatch

log = logging.getLogger(__name__)

CONTINUE_TASK = "periodic_instructor_reports.tasks.continue_report_run"
# A continuation's soft limit is this plus SECONDS_PER_COURSE per course left; the hard limit
# leaves it this much longer to record what it did.
BASE_SOFT_LIMIT = 300
HARD_LIMIT_MARGIN = 120


def time_limits(course_count):
    """Return ``(soft, hard)`` limits in seconds for a continuation with ``course_count`` courses left."""
    soft = BASE_SOFT_LIMIT + conf.get("SECONDS_PER_COURSE") * course_count
    return soft, soft + HARD_LIMIT_MARGIN


def send_continuation(run_id, holder, *, countdown):
    """
    Queue the continuation of run ``run_id`` as task ``holder`` in ``countdown`` seconds; return success.

    Its time limits are sized from the courses the run has left.
    """
    soft, hard = time_limits(store.open_count(run_id))
    try:
        sending.send(
            CONTINUE_TASK, args=[run_id], task_id=holder, countdown=countdown or None,
            queue=conf.get("QUEUE"), soft_time_limit=soft, time_limit=hard,
        )
    except (BrokerError, OSError) as err:
        log.error("Could not queue the continuation of periodic report run %s: %s", run_id, err)
        return False
    return True


def hand_off(run, holder, *, countdown=0, until=None, parked=False):
    """
    Pass the run from ``holder`` to a continuation queued in ``countdown`` seconds; return what came of it.

    ``until`` is when the run is next expected to make progress (default: when the continuation
    is due); ``parked``: it waits for a free slot, and a report that ends may wake it earlier
    (``pacing.wake_parked``). Returns ``Dispatch.HANDED_OVER``; ``Dispatch.TAKEN_OVER`` when
    ``holder`` no longer held the run (nothing is queued); or ``Dispatch.BROKER_UNAVAILABLE`` when
    the continuation could not be queued (the run is left for the recovery sweep, from ``until``).
    """
    until = until or timezone.now() + datetime.timedelta(seconds=countdown)
    continuation = lease.new_holder()
    if not lease.hand_over(run, holder, continuation, until=until, parked=parked):
        return Dispatch.TAKEN_OVER
    if not send_continuation(run.pk, continuation, countdown=countdown):
        lease.release(run, continuation, until=until)
        return Dispatch.BROKER_UNAVAILABLE
    return Dispatch.HANDED_OVER
