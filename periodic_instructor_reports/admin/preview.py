"""The schedule page's preview of where each course's report will go, before the schedule is saved."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf, folders, reports, validators
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.runs.plan import plan as plan_run
from periodic_instructor_reports.states import FolderStructure

# Courses the preview shows.
SHOWN = 5


def folder_preview(schedule, course_ids):
    """
    Return HTML: for the first courses, the folder and an example file name of their reports.

    With a warning when a prefix without a trailing slash is glued onto the folder name, and the
    reason when the prefix or a folder is refused. Works on an unsaved schedule (the form's values).
    """
    try:
        validators.validate_upload_folder_prefix(schedule.upload_folder_prefix)
    except ValidationError as err:
        return format_html('<p class="pir-warning">{}</p>', " ".join(err.messages))
    keys = []
    for course_id in course_ids:
        try:
            keys.append(CourseKey.from_string(course_id))
        except (InvalidKeyError, TypeError):
            continue
    if not schedule.task_id or not keys:
        return _("Choose the report and a course to see where its files go.")
    plan = plan_run(schedule, moment=timezone.now())
    if plan.refusal:
        return format_html('<p class="pir-warning">{}</p>', plan.refusal)
    stamp = timezone.now().strftime("%Y-%m-%d-%H%M")
    rows = []
    for key in keys[:SHOWN]:
        try:
            kwargs, folder = plan.call_for(key)
        except ProfileColumnsError as err:
            return format_html('<p class="pir-warning">{}</p>', _(
                "The reports of %(course)s would fail: %(error)s"
            ) % {"course": key, "error": err})
        folder = folder if folder is not None else folders.course_folder(key)
        name = reports.expected_name(schedule.task.path, key, kwargs)
        problem = folders.folder_problem(folder, structure=schedule.upload_folder_structure, course_key=key,
                                         root=conf.get("FOLDER_ROOT"))
        rows.append((str(key), (folder or folders.course_folder(key)).rstrip("/") + "/",
                     f"{name}_{stamp}.csv" if name else _("(named by the platform)"), problem))
    row_html = '<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>'
    table = format_html_join("", row_html, (
        (course, folder, name, format_html('<span class="pir-warning">{}</span>', problem) if problem else "")
        for course, folder, name, problem in rows
    ))
    notes = []
    prefix = schedule.upload_folder_prefix
    if prefix and not prefix.endswith("/"):
        notes.append(format_html('<p class="pir-warning">{}</p>', _(
            "The prefix has no trailing slash, so it is glued onto the folder name: “%(folder)s”. "
            "End it with “/” to make it a folder of its own."
        ) % {"folder": rows[0][1]}))
    if schedule.upload_folder_structure == FolderStructure.REGULAR and not prefix:
        notes.append(format_html('<p class="pir-muted">{}</p>', _(
            "The platform's own folder of each course: the reports also show on the instructor dashboard."
        )))
    head = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
                       _("Course"), _("Folder"), _("Example file name"))
    notes_html = format_html_join("", "{}", ((note,) for note in notes))
    return format_html("<table>{}{}</table>{}", head, table, notes_html)
