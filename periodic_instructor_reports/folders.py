"""The ``upload_parent_dir`` each folder structure gives the platform's report store."""

import hashlib
import re

from periodic_instructor_reports.states import FolderStructure

# The platform keeps each course's reports in a folder named by the sha1 of its id.
COURSE_FOLDER = re.compile(r"^[0-9a-fA-F]{40}$")
TOKEN_LENGTH = 16


def course_folder(course_key):
    """Return the platform's own folder of a course's reports: the sha1 of its id."""
    return hashlib.sha1(str(course_key).encode("utf-8")).hexdigest()


def course_token(course_key):
    """
    Return the token that tells a course's files apart in a folder shared by courses.

    The first 16 hex digits of its platform folder's name (the sha1 of its id): 64 bits, so that
    nobody can make a course id whose token equals another course's (ADR 0017).
    """
    return course_folder(course_key)[:TOKEN_LENGTH]


def shared_by_courses(*, structure, folder):
    """Return whether ``folder`` of a schedule's ``structure`` may hold reports of several courses."""
    return bool(folder) and structure != FolderStructure.REGULAR


def upload_parent_dir(*, structure, prefix, course_key, run_date):
    """
    Return the folder a report for ``course_key`` is stored in.

    The platform's report store uses this folder in place of its hashed course folder, so
    ``regular`` with an empty prefix is the instructor dashboard's own folder. A prefix without
    a trailing slash is glued to the folder name.

    Arguments:
        structure: ``regular``, ``by_date`` or ``flat``.
        prefix: the schedule's upload folder prefix.
        course_key: the course the report is for.
        run_date: the date of the run, used by ``by_date`` as ``yyyy-mm-dd``.
    """
    if structure == FolderStructure.REGULAR:
        return prefix + course_folder(course_key)
    if structure == FolderStructure.BY_DATE:
        return prefix + run_date.strftime("%Y-%m-%d")
    if structure == FolderStructure.FLAT:
        return prefix
    raise ValueError(f"unknown upload folder structure {structure!r}")


def folder_problem(folder, *, structure, course_key, root=""):
    """
    Return why reports of ``course_key`` may not go to ``folder``, or "" if they may.

    A folder may never be, or be inside, a folder the platform uses for a course (a segment of
    40 hex digits at any depth), except the course's own hashed folder, which the ``regular``
    structure appends to the prefix: so one course's report never lands where another course's
    team sees it. With ``root`` (the ``FOLDER_ROOT`` setting), every folder but the course's
    own platform folder must be inside it. Without ``course_key`` (a folder that does not name
    the course), the rules that do not depend on the course.
    """
    if not folder:
        return ""
    own = course_folder(course_key) if course_key is not None else None
    if folder == own:
        return ""
    segments = folder.rstrip("/").split("/")
    if structure == FolderStructure.REGULAR and segments[-1] == own:
        segments = segments[:-1]
    for segment in segments:
        if COURSE_FOLDER.match(segment):
            return f"{folder} is inside the platform's report folder of a course ({segment})"
    if root and not is_inside(folder, root):
        return f"{folder} is outside the folder root {root}"
    return ""


def is_inside(folder, root):
    """Return whether ``folder`` is ``root`` or inside it (``reports-old/`` is not inside ``reports``)."""
    base = root.rstrip("/") + "/"
    return (folder.rstrip("/") + "/").startswith(base)
