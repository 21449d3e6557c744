"""The ``upload_parent_dir`` each folder structure gives the platform's report store."""

import hashlib

REGULAR = "regular"
BY_DATE = "by_date"
FLAT = "flat"


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
    if structure == REGULAR:
        return prefix + hashlib.sha1(str(course_key).encode("utf-8")).hexdigest()
    if structure == BY_DATE:
        return prefix + run_date.strftime("%Y-%m-%d")
    if structure == FLAT:
        return prefix
    raise ValueError(f"unknown upload folder structure {structure!r}")
