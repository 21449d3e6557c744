"""
How a run calls its report function for each course, worked out once per run.

The report function and its fixed arguments, the request as the owner, and for each course its
keyword arguments, its folder (given to the report, or where the plugin copies its file) and a
file name that carries the course's token in folders shared by courses (ADR 0017); and why the
run, or one course, may not run at all.
"""

import functools
import logging
from dataclasses import dataclass, field

from periodic_instructor_reports import catalog, conf, folders, permissions, reports, timing
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.lengths import error_text
from periodic_instructor_reports.models import PeriodicReportSchedule
from periodic_instructor_reports.report_request import build_report_request
from periodic_instructor_reports.states import FolderStructure

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """How one run calls its report function, or why it cannot."""

    schedule: PeriodicReportSchedule
    function: object = None
    leading: tuple = ()
    arguments: list = field(default_factory=list)
    keyword_arguments: dict = field(default_factory=dict)
    upload: bool = False
    # A report the plugin copies to the schedule's folder once generated (it takes no folder).
    copy: bool = False
    run_date: object = None
    refusal: str = ""
    features_by_org: dict = field(default_factory=dict)
    features_left_out: set = field(default_factory=set)

    @functools.cached_property
    def path(self):
        """The report's dotted path, read once: the plan asks it for every course."""
        return self.schedule.task.path

    @functools.cached_property
    def owner(self):
        return self.schedule.owner

    def call_for(self, course_key):
        """
        Return ``(keyword arguments, folder or None)`` of the call for one course.

        The folder is the schedule's folder for the course: given to a report that takes upload
        folder arguments, or where the plugin copies a copied report's file once it is generated.
        """
        kwargs = dict(self._shared_arguments)
        if self._site_features:
            kwargs["features"] = self._features(course_key)
        if not self.upload and not self.copy:
            return kwargs, None
        schedule = self.schedule
        folder = self._shared_folder
        if folder is None:
            folder = folders.upload_parent_dir(
                structure=schedule.upload_folder_structure, prefix=schedule.upload_folder_prefix,
                course_key=course_key, run_date=self.run_date,
            )
        if not self.upload:
            return kwargs, folder
        kwargs[reports.UPLOAD_PARENT_DIR] = folder
        if folders.shared_by_courses(structure=schedule.upload_folder_structure, folder=folder):
            filename = reports.shared_folder_filename(self.path, course_key, kwargs)
            if filename:
                kwargs["filename"] = filename
        return kwargs, folder

    @functools.cached_property
    def _shared_arguments(self):
        """The keyword arguments of every course's call: the schedule's, then the report's fixed ones."""
        kwargs = dict(self.keyword_arguments)
        report = catalog.get(self.path)
        for name, value in (report.fixed if report else {}).items():
            kwargs.setdefault(name, value)
        return kwargs

    @functools.cached_property
    def _site_features(self):
        return "features" in reports.PROVIDED_ARGUMENTS.get(self.path, ())

    @functools.cached_property
    def _shared_folder(self):
        """The folder of every course, for the structures that do not name it by course; else None."""
        schedule = self.schedule
        if schedule.upload_folder_structure == FolderStructure.REGULAR:
            return None
        return folders.upload_parent_dir(
            structure=schedule.upload_folder_structure, prefix=schedule.upload_folder_prefix,
            course_key=None, run_date=self.run_date,
        )

    def _features(self, course_key):
        """
        Return the course's profile columns, as the dashboard gives them, narrowed to the schedule's.

        The site's part is read once per run and organisation; the course's own (cohort, team)
        for each course. A column the dashboard would not give is left out, and said once per
        organisation and columns.

        Raises:
            ProfileColumnsError: the site's configuration is one the dashboard refuses.
        """
        org = course_key.org
        if org not in self.features_by_org:
            self.features_by_org[org] = reports.site_profile_features(org)
        features, left_out = reports.profile_features(
            course_key, self.keyword_arguments.get("features"), site_features=self.features_by_org[org],
        )
        if left_out and (org, tuple(left_out)) not in self.features_left_out:
            self.features_left_out.add((org, tuple(left_out)))
            log.warning("Periodic report schedule %s: the dashboard does not give %s for %s (nor maybe for "
                        "other courses of %s); left out.", self.schedule.pk, ", ".join(left_out), course_key,
                        org)
        return features

    def refusal_for(self, course_key, folder):
        """Return why this course may not run: the owner's access to its data, its folder; or ""."""
        refusal = permissions.request_refusal(self.owner, course_key, self.path)
        if refusal:
            return refusal
        if folder is None:
            return ""
        if folder is self._shared_folder and not folders.COURSE_FOLDER.match(folder):
            # Not named by course: its check is the same for every course, made once.
            problem = self._shared_folder_problem
        else:
            problem = self._folder_problem(folder, course_key)
        return f"folder refused: {problem}" if problem else ""

    @functools.cached_property
    def _shared_folder_problem(self):
        return self._folder_problem(self._shared_folder, None)

    def _folder_problem(self, folder, course_key):
        return folders.folder_problem(
            folder, structure=self.schedule.upload_folder_structure, course_key=course_key,
            root=conf.get("FOLDER_ROOT"),
        )


def plan(schedule, *, moment):
    """
    Return how a run of ``schedule`` due at ``moment`` calls its report, without calling it.

    The report path is checked against the allowlist again (it may have changed since the
    schedule was saved), and an owner who is no longer active refuses the run.
    """
    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        return Plan(schedule, refusal=error_text(str(err)))
    if task.requires_request and not schedule.owner.is_active:
        return Plan(schedule, refusal=f"owner (user id {schedule.owner_id}) is inactive")
    arguments, keyword_arguments = reports.as_keywords(
        function, requires_request=task.requires_request, arguments=schedule.arguments or [],
        keyword_arguments=schedule.keyword_arguments or {},
    )
    return Plan(
        schedule,
        function=function,
        leading=(build_report_request(schedule.owner),) if task.requires_request else (),
        arguments=arguments,
        keyword_arguments=keyword_arguments,
        upload=reports.accepts_upload_dir(function),
        copy=catalog.support(task.path) == catalog.COPIED,
        run_date=timing.run_date(schedule, moment),
    )
