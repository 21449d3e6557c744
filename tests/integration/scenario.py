"""Course ids, expected folders and file names the integration scenarios check reports against."""

import csv
import hashlib
import re

from django.contrib.auth import get_user_model

# A report file name: {org}_{course}_{run}_{report}_{%Y-%m-%d-%H%M}[_<storage suffix>].csv; the
# storage adds a random suffix when a run in the same minute already took the name.
STAMP = r"\d{4}-\d{2}-\d{2}-\d{4}(_[A-Za-z0-9]{7})?"
HEADERS = {
    "grade_report": ["Student ID", "Email", "Username", "Grade"],
    "problem_grade_report": ["Student ID", "Email", "Username", "Grade"],
}


def hashed(course_id):
    """Return the platform's folder name of a course: the sha1 of its id."""
    return hashlib.sha1(str(course_id).encode("utf-8")).hexdigest()


def file_pattern(course_prefix, report_name, course_id=None):
    """
    Return the regex a report file name of ``report_name`` for the course prefix matches.

    With ``course_id``, the name a folder shared by courses gives: the course's token follows the
    report's name (ADR 0017).
    """
    token = f"_{hashed(course_id)[:16]}" if course_id else ""
    return re.compile(rf"^{re.escape(course_prefix)}_{re.escape(report_name)}{token}_{STAMP}\.csv$")


def matching(names, pattern):
    """Return the names matching the compiled ``pattern``."""
    return [name for name in names if pattern.match(name)]


def read_csv(path):
    """Return the rows of a report file."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def assert_complete_report(path, report_name):
    """Check that a report file has its header and one row for each active user."""
    rows = read_csv(path)
    header, body = rows[0], rows[1:]
    expected_header = HEADERS.get(report_name)
    if expected_header:
        assert header == expected_header, (path, header)
    else:  # the profile report: its columns are the features, username among them
        assert "username" in header, (path, header)
    usernames = sorted(get_user_model().objects.filter(is_active=True).values_list("username", flat=True))
    column = header.index("Username" if expected_header else "username")
    assert sorted(row[column] for row in body) == usernames, path
