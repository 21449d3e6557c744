"""
Properties of the folder and file name rules against the platform's own path building.

Whatever prefix, structure, course, date and file name a schedule is given, if the rules accept
it, the path the platform's report store writes to stays inside the store, inside the folder
root when one is set, and never inside another course's folder.
"""

import datetime
import hashlib
import posixpath

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lms.djangoapps.instructor_task.models import DjangoStorageReportStore
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import folders, validators
from periodic_instructor_reports.states import FolderStructure

COURSES = [CourseKey.from_string(course) for course in (
    "course-v1:edX+DemoX+Demo_Course", "course-v1:OrgX+CS101+2026", "ccx-v1:edX+DemoX+Demo_Course+ccx@3",
)]
HASHES = [hashlib.sha1(str(key).encode()).hexdigest() for key in COURSES]

# Folder-name pieces: ordinary ones, and every trick seen tried against the rules.
PIECES = st.one_of(
    st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=6),
    st.sampled_from([
        "..", ".", "~", "~root", "C:", "%2e%2e", "a\\b", "\u202e", "\x00", "<b>", " ", "",
        *HASHES, HASHES[0].upper(), HASHES[1] + "x",
    ]),
)
PREFIXES = st.builds(
    lambda parts, leading, trailing: ("/" if leading else "") + "/".join(parts) + ("/" if trailing else ""),
    st.lists(PIECES, max_size=4), st.booleans(), st.booleans(),
)
STRUCTURES = st.sampled_from([FolderStructure.REGULAR, FolderStructure.BY_DATE, FolderStructure.FLAT])
ROOTS = st.sampled_from(["", "periodic-reports/", "periodic-"])
DATES = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31))
FILENAMES = st.one_of(
    st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=12),
    st.sampled_from(["../x", "a/b", "a\\b", "..", ".hidden", "x" * 101, "<b>", "a\x00b", "\u202eabc"]),
)
STORE = DjangoStorageReportStore("django.core.files.storage.FileSystemStorage", {"location": "/reports"})


def accepted(prefix, structure, course_key, run_date, root):
    """Return the folder the rules let this schedule write to, or None if they refuse it."""
    try:
        validators.validate_upload_folder_prefix(prefix)
    except ValidationError:
        return None
    folder = folders.upload_parent_dir(
        structure=structure, prefix=prefix, course_key=course_key, run_date=run_date,
    )
    if folders.folder_problem(folder, structure=structure, course_key=course_key, root=root):
        return None
    return folder


class FolderRuleProperties(SimpleTestCase):
    @settings(max_examples=600, deadline=None)
    @given(PREFIXES, STRUCTURES, st.sampled_from(range(len(COURSES))), DATES, ROOTS)
    @example(f"{HASHES[1]}/", FolderStructure.FLAT, 0, datetime.date(2026, 1, 1), "")
    @example("", FolderStructure.REGULAR, 0, datetime.date(2026, 1, 1), "periodic-reports/")
    def test_accepted_folders_stay_in_the_store_the_root_and_their_own_course(
        self, prefix, structure, course, run_date, root
    ):
        course_key = COURSES[course]
        folder = accepted(prefix, structure, course_key, run_date, root)
        if folder is None:
            return
        path = STORE.path_to(course_key, "report.csv", folder)
        normalised = posixpath.normpath(path)
        self.assertFalse(normalised.startswith(("/", "..")), path)
        self.assertEqual(normalised, path.replace("//", "/"), path)
        segments = normalised.split("/")
        own = HASHES[course]
        for other in HASHES:
            if other != own:
                self.assertNotIn(other, [segment.lower() for segment in segments], path)
        if segments[0].lower() in HASHES:
            self.assertEqual(segments[0], own, path)  # only the course's own platform folder
        if root and folder not in ("", own):
            self.assertTrue(path.startswith(root), path)

    @settings(max_examples=300, deadline=None)
    @given(FILENAMES)
    def test_accepted_file_names_stay_a_file_name(self, filename):
        try:
            validators.validate_schedule_filename(filename)
        except ValidationError:
            return
        path = STORE.path_to(COURSES[0], filename, "reports")
        self.assertEqual(posixpath.dirname(path), "reports")
        self.assertEqual(posixpath.basename(path), filename)
        self.assertNotIn("..", filename)
        self.assertLessEqual(len(filename), 100)
