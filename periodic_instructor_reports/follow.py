"""
Following each submitted course to its end: the platform's task row, then the report's file.

The follow-up job calls ``follow_reports`` every minute. It reads a batch of submitted courses, the
platform's ``InstructorTask`` rows of their task ids (one query for the batch), lists each
report folder once, and records ``generated`` with the file, ``report_failed`` with the
platform's error, or ``lost`` once a task stayed unfinished past ``LOST_AFTER``; then it
finishes the runs whose courses all ended and delivers their e-mail. A bounded number of
queries per check, whatever the number of courses, and no worker waits for a report.

A report the platform writes in the course's own folder only (a *copied* report of the catalog)
is found there and copied to the schedule's folder; the platform's file stays where the
instructor dashboard lists it, and both paths are recorded.
"""

import datetime
import logging
import os
import re

from django.core.files import File
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from periodic_instructor_reports import catalog, conf, delivery, folders, platform, states, task_output
from periodic_instructor_reports.lengths import error_text, exception_text
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import store
from periodic_instructor_reports.states import Outcome, RunStatus

log = logging.getLogger(__name__)

# Runs whose submitted courses are followed: generating, or still submitting others.
FOLLOWED_RUNS = (RunStatus.GENERATING, *states.UNFINISHED)

# Submitted courses looked at per check (the next check takes the rest).
BATCH_SIZE = 1000
# A report the platform finished may take this long to appear in a slow storage's listing.
FILE_GRACE = datetime.timedelta(minutes=10)
# The platform's stamp has minutes only, and clocks of hosts differ a little.
STAMP_SLACK = datetime.timedelta(minutes=2)
# Clocks of the storage and of the workers may differ a little.
MODIFIED_SLACK = datetime.timedelta(seconds=2)
STAMP = re.compile(r"_(\d{4}-\d{2}-\d{2}-\d{4})(?:_[A-Za-z0-9]{7})?\.(?:csv|zip)$")
ENDED_FIELDS = [
    "outcome", "error", "finished_at", "file_name", "file_path", "file_size", "platform_path",
    "error_file_path", "ungraded",
]


def followed_rows(run_ids=None):
    """
    Return the queryset of courses being generated: submitted, with a platform task to follow.

    Those of runs still submitting too: a paced run submits for hours, and its page shows the
    courses already generated.
    """
    rows = ReportRunCourse.objects.filter(
        outcome=Outcome.SUBMITTED, run__status__in=FOLLOWED_RUNS,
    ).exclude(task_id="")
    return rows.filter(run_id__in=run_ids) if run_ids is not None else rows


def follow_reports(*, now=None):
    """
    Follow a batch of submitted courses; return ``{outcome: count}`` of the courses that ended.

    Runs whose courses have all ended are finished (status ``done``) and their e-mail sent.
    """
    now = now or timezone.now()
    rows = list(followed_rows().annotate(report_path=F("run__report_path")).order_by("pk")[:BATCH_SIZE])
    if not rows:
        return {}
    tasks = _platform_tasks(rows)
    finder = FileFinder(rows)
    ended, troubled = [], []
    for row in rows:
        try:
            if _settle(row, tasks.get(row.task_id), finder, now):
                ended.append(row)
        except DatabaseError:
            raise
        except Exception as err:  # noqa: BLE001 - a storage raises its own types (botocore's, timeouts)
            if _storage_trouble(row, err, now):
                ended.append(row)
            else:
                troubled.append(row)
    if ended:
        store.save_rows(ended, ENDED_FIELDS)
    if troubled:
        store.save_rows(troubled, ["error"])
    finish_ended_runs({row.run_id for row in rows})
    counts = {}
    for row in ended:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    return counts


def finish_ended_runs(run_ids):
    """
    Finish the runs among ``run_ids`` that are generating and have no course left to follow.

    A run whose e-mail fails to be built or sent is logged; the other runs go on.
    """
    still = set(followed_rows(run_ids).values_list("run_id", flat=True).distinct())
    for run in ReportRun.objects.filter(pk__in=set(run_ids) - still, status=RunStatus.GENERATING):
        store.finish_run(run, status=RunStatus.DONE)
        log.info("Periodic report run %s is done: %s.", run.pk, run.counts)
        try:
            delivery.deliver(run)
        except Exception:  # noqa: BLE001 - one run's e-mail never stops the others
            log.exception("Could not deliver the e-mail of periodic report run %s.", run.pk)


def _storage_trouble(row, err, now):
    """
    Record on ``row`` that the report store failed while it was being followed; return whether it ended.

    The course keeps being followed (the store may come back) until ``LOST_AFTER``, when it is
    recorded ``lost`` with the store's error. Logged for the operator, with the row's error on the
    run's page.
    """
    log.warning("Following report %s of periodic report run %s: the report store failed: %s",
                row.pk, row.run_id, exception_text(err))
    text = f"the report store failed while the report was being followed: {exception_text(err)}"
    row.error = error_text(text)
    if row.started_at and now - row.started_at > datetime.timedelta(seconds=conf.get("LOST_AFTER")):
        row.outcome, row.finished_at = Outcome.LOST, now
        return True
    return False


def _platform_tasks(rows):
    """Return ``{task id: (state, output, updated)}`` of the rows' platform tasks (one query)."""
    model = platform.instructor_task_model()
    if model is None:
        return {}
    found = model.objects.filter(task_id__in=[row.task_id for row in rows]).values_list(
        "task_id", "task_state", "task_output", "updated",
    )
    return {task_id: (state, output, updated) for task_id, state, output, updated in found}


def _settle(row, task, finder, now):
    """Record the row's end if its report ended (or is lost); return whether it did."""
    state, output, updated = task if task else (None, None, None)
    if task_output.succeeded(state, output):
        return finder.settle(row, updated or now, now, ungraded=task_output.ungraded(output))
    if state in task_output.ENDED:
        row.outcome, row.error = Outcome.REPORT_FAILED, task_output.platform_error(state, output)
        row.finished_at = updated or now
        return True
    if row.started_at and now - row.started_at > datetime.timedelta(seconds=conf.get("LOST_AFTER")):
        hours = conf.get("LOST_AFTER") / 3600
        row.outcome, row.finished_at = Outcome.LOST, now
        row.error = error_text(
            f"the platform's task {row.task_id} is still {state or 'missing'} after {hours:g} h: "
            "while it stays unfinished, every later report of this type for this course is refused "
            "as already running; mark it failed or revoke it in the platform"
        )
        return True
    return False


class FileFinder:
    """Find the file each finished report wrote: list each folder once, never give one file twice."""

    def __init__(self, rows):
        self.store = platform.report_store()
        self.listings = {}
        self.taken = set()
        self.rows = rows
        self._claimed = None
        self._sharing = None

    @staticmethod
    def copied(row):
        """Return whether the row's report is written in the course's folder and copied to the schedule's."""
        return catalog.support(getattr(row, "report_path", "")) == catalog.COPIED

    def folder(self, row):
        """Return the folder the platform wrote the row's report in: its upload folder, or the course's."""
        if self.copied(row):
            return folders.course_folder(row.course_id)
        return row.upload_parent_dir or folders.course_folder(row.course_id)

    def listing(self, folder):
        """
        Return the file names in ``folder`` (listed once per check); [] while it does not exist.

        Any other error of the store is raised again for each course of the folder.
        """
        if folder not in self.listings:
            try:
                self.listings[folder] = sorted(self.store.storage.listdir(folder)[1])
            except FileNotFoundError:
                self.listings[folder] = []
            except Exception as err:  # noqa: BLE001 - kept and raised for each course of the folder
                self.listings[folder] = err
        if isinstance(self.listings[folder], Exception):
            raise self.listings[folder]
        return self.listings[folder]

    def listed(self, folder):
        """Return the file names in ``folder``, or [] if the store fails to list it (told per course)."""
        try:
            return self.listing(folder)
        except Exception:  # noqa: BLE001 - the courses of that folder record the error themselves
            return []

    def sharing(self, row):
        """
        Return the other courses being followed whose report has the row's folder and file name.

        Names carry a course token in shared folders, so this finds only courses submitted
        before that (an upgrade) or a token collision: then no file is theirs with certainty.
        """
        if self._sharing is None:
            names = {r.expected_name for r in self.rows if r.expected_name and not self.copied(r)}
            found = ReportRunCourse.objects.filter(
                outcome=Outcome.SUBMITTED, expected_name__in=names,
            ).values_list("upload_parent_dir", "expected_name", "course_id") if names else []
            self._sharing = {}
            for folder, name, course_id in found:
                self._sharing.setdefault((folder, name), set()).add(course_id)
        courses = self._sharing.get((row.upload_parent_dir, row.expected_name), set())
        return sorted(courses - {row.course_id})

    def claimed(self):
        """Return the file paths rows of earlier checks recorded among this batch's folders (one query)."""
        if self._claimed is None:
            paths = [
                os.path.join(self.folder(row), name) for row in self.rows if row.expected_name
                for name in self.listed(self.folder(row)) if name.startswith(row.expected_name)
            ]
            self._claimed = set()
            if paths:
                recorded = ReportRunCourse.objects.filter(Q(file_path__in=paths) | Q(platform_path__in=paths))
                for file_path, platform_path in recorded.values_list("file_path", "platform_path"):
                    self._claimed.update({file_path, platform_path})
        return self._claimed

    def settle(self, row, finished, now, *, ungraded=0):
        """
        Record ``generated`` with the report's file; wait or fail if it did not appear.

        A report that could go to another course's file is not linked (``report_failed``, with
        why); a grade report's errors file (learners the platform could not grade) is linked too.
        """
        folder = self.folder(row)
        if self._not_linked(row, folder, finished):
            return True
        name, others = self.pick(row, folder, finished)
        if name is None:
            return self._not_found(row, folder, finished, now)
        path = os.path.join(folder, name)
        self.taken.add(path)
        note = ""
        if self.copied(row):
            try:
                row.platform_path, path = path, self.copy(row, path)
            except (OSError, ValueError) as err:
                return self._not_copied(row, path, err, finished, now)
            if others:
                note = (f"{len(others) + 1} files of this report were written in the course's folder during "
                        f"its run (another request of it there?): copied {name}, the first written since "
                        f"the submission; not {', '.join(others)}")
        row.outcome, row.finished_at, row.error = Outcome.GENERATED, finished, error_text(note)
        row.file_name, row.file_path = os.path.basename(path), path
        try:
            row.file_size = self.store.storage.size(path)
        except (OSError, NotImplementedError):
            row.file_size = None
        if ungraded:
            self.settle_errors(row, folder, name, ungraded)
        return True

    def _not_linked(self, row, folder, finished):
        """Record the end of a report whose file cannot be named or told apart; return whether it ended."""
        if not row.expected_name:
            row.outcome, row.finished_at = Outcome.GENERATED, finished
            row.error = error_text(f"the platform does not name this report's file: look in {folder}")
            return True
        if not self.copied(row) and (others := self.sharing(row)):
            row.outcome, row.finished_at = Outcome.REPORT_FAILED, finished
            row.error = error_text(
                f"the platform wrote this report, but the report of {others[0]} in {folder} has the same "
                f"file name ({row.expected_name}): it cannot be told apart and is not linked"
            )
            return True
        return False

    @staticmethod
    def _not_found(row, folder, finished, now):
        """Wait for a file that has not appeared yet; past the grace, record the report failed."""
        if now - finished < FILE_GRACE:
            return False
        row.outcome, row.finished_at = Outcome.REPORT_FAILED, finished
        extension = catalog.extension(getattr(row, "report_path", ""))
        row.error = error_text(
            f"the platform reported success, but no file {row.expected_name}_*.{extension} appeared "
            f"in {folder}"
        )
        return True

    @staticmethod
    def _not_copied(row, path, err, finished, now):
        """Try a failed copy again at the next check; past the grace, record the report failed."""
        if now - finished < FILE_GRACE:
            return False
        row.outcome, row.finished_at = Outcome.REPORT_FAILED, finished
        row.error = error_text(f"could not copy {path} to {row.upload_parent_dir}: {err}")
        return True

    def settle_errors(self, row, folder, name, ungraded):
        """
        Record a grade report's errors file: ``{name}_err``, written with the report's own time.

        The platform writes it beside the report when it could not grade some learners, and counts
        them as failed in the task's output.
        """
        stamp = STAMP.search(name).group(1)
        start = f"{row.expected_name}_err_{stamp}"
        found = [item for item in self.listing(folder)
                 if item.startswith(start) and os.path.join(folder, item) not in self.taken]
        row.ungraded = ungraded
        if found:
            row.error_file_path = os.path.join(folder, found[0])
            self.taken.add(row.error_file_path)
            text = (f"generated with errors: {ungraded} learners could not be graded and are not in the "
                    "report; the errors file lists them")
        else:
            text = (f"generated with errors: {ungraded} learners could not be graded and are not in the "
                    f"report; their errors file {start}_* was not found in {folder}")
        row.error = error_text(text)

    def pick(self, row, folder, finished):
        """
        Return ``(name, other names)`` of the row's file, or ``(None, [])``.

        The file named after its course and report, stamped between the submission and the task's
        end; of several, the first stamped since the submission's minute (an earlier one is a
        report requested before), and the others.
        """
        submitted = row.started_at or finished
        earliest = submitted - STAMP_SLACK
        latest = finished + STAMP_SLACK
        candidates = []
        for name in self.listing(folder):
            if not name.startswith(row.expected_name + "_"):
                continue
            match = STAMP.search(name)
            if not match or match.start() != len(row.expected_name):
                continue
            stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%d-%H%M").replace(tzinfo=datetime.UTC)
            path = os.path.join(folder, name)
            in_time = earliest <= stamp + datetime.timedelta(minutes=1) and stamp <= latest
            if in_time and path not in self.taken:
                candidates.append((stamp, len(name), name, path))
        candidates = sorted(item for item in candidates if item[3] not in self.claimed())
        if not candidates:
            return None, []
        minute = submitted.replace(second=0, microsecond=0)
        since = [item for item in candidates if item[0] >= minute] or candidates
        if len(since) > 1:  # stamped in one minute: the storage's times tell an earlier request's file
            since = [item for item in since if self.written_since(item[3], submitted)] or since
        return since[0][2], [item[2] for item in candidates if item is not since[0]]

    def written_since(self, path, moment):
        """Return whether the storage says ``path`` was written at ``moment`` or later (True if unknown)."""
        try:
            return self.store.storage.get_modified_time(path) >= moment - MODIFIED_SLACK
        except (OSError, NotImplementedError, TypeError):  # TypeError: a storage's naive time
            return True

    def copy(self, row, source):
        """
        Copy the platform's file ``source`` to the row's folder; return the copy's storage path.

        The schedule's folder for the course, with the file's own name (and the course's token after
        the report name in a folder shared by courses, ADR 0017). Nothing is copied when that folder
        is the course's own. The platform's file is never deleted.
        """
        own = folders.course_folder(row.course_id)
        target_folder = row.upload_parent_dir or own
        if target_folder.rstrip("/") == own:
            return source
        name = os.path.basename(source)
        if not target_folder.rstrip("/").endswith(own):
            token = folders.course_token(row.course_id)
            name = f"{row.expected_name}_{token}{name[len(row.expected_name):]}"
        storage = self.store.storage
        with storage.open(source, "rb") as handle:
            return storage.save(os.path.join(target_folder, name), File(handle, name=name))

