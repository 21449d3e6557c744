"""
Storing a batch's rows while the next batch is submitted (ADR 0026).

A batch's rows are written, and the batch taken off the queue, on a connection of the writer's
own thread, while the run goes on submitting the next batch on its own connection: the
database's work for the rows (most of the plugin's own time per course) is no longer waited
for. One batch at a time is stored: storing the next waits for the one before, and so does
leaving the writer, so whatever ends the pass (its counts, a stop, a handover) reads every row.
The run puts the statements together itself (ADR 0029): what Python work is left beside it
still takes the one interpreter from the calls made meanwhile, which the dispatch benchmark
counts as the plugin's (ADR 0028).

What crash safety rests on is unchanged (ADR 0015): a batch's intent is recorded before its
first submission, and it stays queued until its rows are stored. A run stopped with a batch
still being written is resumed like one whose worker died before storing it: the batch's
courses are settled from the platform's task rows.

The rows are written in place, on the run's connection, where another connection cannot work
beside it: inside a transaction (a second connection would not see the run's uncommitted rows),
on sqlite (one writer at a time), and while the run is paced (the slots it reserved cover its
submissions until their rows are stored and count themselves).
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections

from periodic_instructor_reports.runs import store, upsert

log = logging.getLogger(__name__)


def can_overlap(*, paced):
    """Return whether a run's rows may be written on a second connection (see the module's docstring)."""
    return not paced and connection.vendor in ("postgresql", "mysql") and not connection.in_atomic_block


class BatchWriter:
    """
    Stores a pass's batches one after the other, each while the run submits the next.

    A context manager: leaving it waits for the batch being written and closes the writer's
    connection. A failure to store a batch is raised by the next call that waits for it.
    """

    def __init__(self, *, overlap):
        self.overlap = overlap
        self._pool = self._queued = self._pending = None

    def __enter__(self):
        return self

    def store(self, batch, rows, *, done, rest=()):
        """
        Store the batch's rows and, when ``done``, take it off the queue (``store.store_batch``).

        Beside the run, the rows are written from the next ``begin`` on: once the run has read
        its next batch and worked out its calls, while the platform's calls wait on the database
        and the broker.
        """
        self.begin()
        self.wait()
        if self.overlap:
            self._queued = (batch, upsert.prepare(rows), done, rest)
        else:
            store.store_batch(batch, rows, done=done, rest=rest)

    def begin(self):
        """Start writing the batch handed over last, if it waits."""
        if self._queued is None:
            return
        (batch, rows_upsert, done, rest), self._queued = self._queued, None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="periodic-reports-rows")
        self._pending = self._pool.submit(store.write_batch, batch, rows_upsert, done=done, rest=rest)

    def wait(self):
        """Wait until the batch being written is stored; raise its failure."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __exit__(self, exc_type, exc, traceback):
        try:
            self.begin()
            self.wait()
        except Exception:
            if exc is None:
                raise
            log.exception("A periodic report run's batch could not be stored; it is settled when resumed.")
        finally:
            if self._pool is not None:
                self._pool.submit(_close_connections).result()
                self._pool.shutdown()
        return False


def _close_connections():
    """Close the writer thread's connection; one the database dropped may fail to close."""
    try:
        connections.close_all()
    except Exception:  # pylint: disable=broad-except
        log.warning("A periodic report run's writer could not close its connection.", exc_info=True)
