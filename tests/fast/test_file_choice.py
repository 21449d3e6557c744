"""Which file of a storage listing is a finished report's, and when no file can be told apart."""

import datetime
import hashlib
import io
import os
from unittest import mock

from django.test import SimpleTestCase

from periodic_instructor_reports.follow import FILE_GRACE, FileFinder
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.states import Outcome

API = "lms.djangoapps.instructor_task.api."
GRADES = API + "submit_calculate_grades_csv"
MAY_ENROLL = API + "submit_calculate_may_enroll_csv"
SUBMISSION_FILES = API + "submit_export_ora2_submission_files"

COURSE = "course-v1:edX+DemoX+Demo_Course"
OTHER = "course-v1:edX+Other+2026"
OWN = hashlib.sha1(COURSE.encode()).hexdigest()
TOKEN = OWN[:16]
NAME = "edX_DemoX_Demo_Course_grade_report"
SUBMITTED = datetime.datetime(2026, 5, 4, 12, 2, 30, tzinfo=datetime.UTC)
FINISHED = datetime.datetime(2026, 5, 4, 12, 3, 10, tzinfo=datetime.UTC)
SOON = FINISHED + datetime.timedelta(minutes=1)
LATE = FINISHED + FILE_GRACE + datetime.timedelta(seconds=1)


class FakeStorage:
    """A report store's storage: folders of files with their contents and modification times."""

    def __init__(self, files=None, *, failing=None):
        self.files = dict(files or {})
        self.failing = failing
        self.listed = []

    def listdir(self, folder):
        self.listed.append(folder)
        if self.failing:
            raise self.failing
        folder = folder.rstrip("/")
        names = [os.path.basename(path) for path in self.files if os.path.dirname(path) == folder]
        if not names:
            raise FileNotFoundError(folder)
        return [], names

    def size(self, path):
        return len(self.files[path][0])

    def get_modified_time(self, path):
        return self.files[path][1]

    def open(self, path, _mode="rb"):
        return io.BytesIO(self.files[path][0])

    def save(self, path, content):
        self.files[path] = (content.read(), FINISHED)
        return path


def csv(stamp="2026-05-04-1203", folder="reports", name=NAME, suffix=""):
    return f"{folder}/{name}_{stamp}{suffix}.csv"


def make_row(path=GRADES, *, folder="reports", name=NAME, course=COURSE, started=SUBMITTED):
    course_row = ReportRunCourse(pk=1, run_id=2, course_id=course, task_id="t", outcome=Outcome.SUBMITTED,
                                 upload_parent_dir=folder, expected_name=name, started_at=started)
    course_row.report_path = path
    return course_row


class FinderTestCase(SimpleTestCase):
    """Give the finder a fake storage; rows of other runs (sharing, claimed files) are given per test."""

    sharing = ()
    claimed = frozenset()

    def finder(self, rows, storage):
        store = mock.Mock(storage=storage)
        with mock.patch("periodic_instructor_reports.platform.report_store", return_value=store):
            finder = FileFinder(rows)
        for name, value in (("sharing", list(self.sharing)), ("claimed", set(self.claimed))):
            patcher = mock.patch.object(finder, name, return_value=value)
            patcher.start()
            self.addCleanup(patcher.stop)
        return finder

    def settle(self, course_row, files, now=SOON, ungraded=0, storage=None):
        storage = storage or FakeStorage({path: (b"a,b\n", FINISHED) for path in files})
        ended = self.finder([course_row], storage).settle(course_row, FINISHED, now, ungraded=ungraded)
        return ended, storage


class PickTests(FinderTestCase):
    """The file named after the course and report, stamped during the run."""

    def test_the_one_file_written_during_the_run(self):
        course = make_row()
        ended, _ = self.settle(course, [csv()])
        self.assertTrue(ended)
        self.assertEqual(
            (course.outcome, course.finished_at, course.error), (Outcome.GENERATED, FINISHED, "")
        )
        self.assertEqual((course.file_name, course.file_path, course.file_size),
                         (f"{NAME}_2026-05-04-1203.csv", csv(), 4))

    def test_a_file_with_the_storages_suffix(self):
        course = make_row()
        self.settle(course, [csv(suffix="_Ab3dE9z")])
        self.assertEqual(course.file_path, csv(suffix="_Ab3dE9z"))

    def test_an_earlier_request_is_not_the_runs(self):
        course = make_row()
        ended, _ = self.settle(course, [csv("2026-05-04-1150")])
        self.assertFalse(ended)
        self.assertEqual(course.outcome, Outcome.SUBMITTED)

    def test_a_file_stamped_after_the_end_is_not_the_runs(self):
        ended, _ = self.settle(make_row(), [csv("2026-05-04-1210")])
        self.assertFalse(ended)

    def test_the_file_stamped_since_the_submission_wins(self):
        course = make_row()
        self.settle(course, [csv("2026-05-04-1201"), csv("2026-05-04-1203")])
        self.assertEqual(course.file_path, csv("2026-05-04-1203"))
        self.assertEqual(course.error, "")

    def test_in_one_minute_the_storages_times_tell_an_earlier_requests_file(self):
        earlier, own = csv("2026-05-04-1202"), csv("2026-05-04-1202", suffix="_Zz9Yy8X")
        storage = FakeStorage({
            earlier: (b"", SUBMITTED - datetime.timedelta(seconds=20)),
            own: (b"", SUBMITTED + datetime.timedelta(seconds=20)),
        })
        course = make_row()
        self.settle(course, [], storage=storage)
        self.assertEqual(course.file_path, own)

    def test_a_longer_report_name_is_not_this_reports(self):
        # The same report of the course in a shared folder (with the course's token) or its errors file.
        files = [csv(name=f"{NAME}_{TOKEN}"), csv(name=f"{NAME}_err")]
        ended, _ = self.settle(make_row(), files)
        self.assertFalse(ended)

    def test_no_file_after_the_grace_is_a_failure(self):
        course = make_row()
        ended, _ = self.settle(course, [csv("2026-05-04-1150")], now=LATE)
        self.assertTrue(ended)
        self.assertEqual((course.outcome, course.finished_at), (Outcome.REPORT_FAILED, FINISHED))
        self.assertEqual(course.error,
                         f"the platform reported success, but no file {NAME}_*.csv appeared in reports")

    def test_a_missing_folder_is_waited_for(self):
        ended, storage = self.settle(make_row(folder="reports/2026-05-04"), [])
        self.assertFalse(ended)
        self.assertEqual(storage.listed, ["reports/2026-05-04"])

    def test_a_row_without_folder_is_looked_for_in_the_courses(self):
        course = make_row(folder="")
        self.settle(course, [csv(folder=OWN)])
        self.assertEqual(course.file_path, csv(folder=OWN))

    def test_a_report_of_unknown_name_is_generated_without_file(self):
        course = make_row(name="")
        ended, storage = self.settle(course, [csv()])
        self.assertTrue(ended)
        self.assertEqual((course.outcome, course.file_path), (Outcome.GENERATED, ""))
        self.assertEqual(course.error, "the platform does not name this report's file: look in reports")
        self.assertEqual(storage.listed, [])

    def test_an_unknown_size(self):
        storage = FakeStorage({csv(): (b"", FINISHED)})
        storage.size = mock.Mock(side_effect=NotImplementedError)
        course = make_row()
        self.settle(course, [], storage=storage)
        self.assertEqual((course.outcome, course.file_size), (Outcome.GENERATED, None))


class OneFileOnceTests(FinderTestCase):
    """A file is never given to two courses."""

    def test_two_rows_of_one_name_get_two_files(self):
        first, second = make_row(), make_row(course=OTHER)
        storage = FakeStorage(
            {path: (b"", FINISHED) for path in (csv("2026-05-04-1203"), csv("2026-05-04-1204"))}
        )
        finder = self.finder([first, second], storage)
        finder.settle(first, FINISHED, SOON)
        finder.settle(second, FINISHED, SOON)
        self.assertEqual(
            {first.file_path, second.file_path}, {csv("2026-05-04-1203"), csv("2026-05-04-1204")}
        )
        self.assertEqual(storage.listed, ["reports"])

    def test_a_file_an_earlier_check_recorded_is_not_given_again(self):
        self.claimed = {csv()}
        ended, _ = self.settle(make_row(), [csv()])
        self.assertFalse(ended)


class AmbiguityTests(FinderTestCase):
    """A report that could be another course's file is not linked."""

    sharing = [OTHER]

    def test_another_course_with_the_same_folder_and_name_fails_the_report(self):
        course = make_row()
        ended, storage = self.settle(course, [csv()])
        self.assertTrue(ended)
        self.assertEqual((course.outcome, course.file_path), (Outcome.REPORT_FAILED, ""))
        self.assertEqual(
            course.error,
            f"the platform wrote this report, but the report of {OTHER} in reports has "
            f"the same file name ({NAME}): it cannot be told apart and is not linked",
        )
        self.assertEqual(storage.listed, [])

    def test_a_copied_report_is_in_the_courses_own_folder_and_never_ambiguous(self):
        name = "edX_DemoX_Demo_Course_may_enroll_info"
        course = make_row(MAY_ENROLL, folder=OWN, name=name)
        self.settle(course, [csv(folder=OWN, name=name)])
        self.assertEqual(course.outcome, Outcome.GENERATED)


class StoreFailureTests(FinderTestCase):
    """A storage that fails to list a folder."""

    def test_the_error_is_raised_for_each_course_of_the_folder_listed_once(self):
        storage = FakeStorage(failing=TimeoutError("read timed out"))
        first, second = make_row(), make_row(course=OTHER)
        finder = self.finder([first, second], storage)
        for course in (first, second):
            with self.assertRaises(TimeoutError):
                finder.settle(course, FINISHED, SOON)
        self.assertEqual(storage.listed, ["reports"])


class ErrorsFileTests(FinderTestCase):
    """A grade report's errors file: learners the platform could not grade."""

    def test_the_errors_file_of_the_reports_minute_is_linked(self):
        course = make_row()
        self.settle(course, [csv(), csv(name=f"{NAME}_err")], ungraded=3)
        self.assertEqual((course.outcome, course.file_path), (Outcome.GENERATED, csv()))
        self.assertEqual((course.ungraded, course.error_file_path), (3, csv(name=f"{NAME}_err")))
        self.assertEqual(
            course.error,
            "generated with errors: 3 learners could not be graded and are not in the "
            "report; the errors file lists them",
        )

    def test_a_missing_errors_file_is_said(self):
        course = make_row()
        self.settle(course, [csv(), csv("2026-05-04-1150", name=f"{NAME}_err")], ungraded=1)
        self.assertEqual((course.outcome, course.error_file_path), (Outcome.GENERATED, ""))
        self.assertIn(
            f"their errors file {NAME}_err_2026-05-04-1203_* was not found in reports", course.error
        )


class CopiedReportTests(FinderTestCase):
    """A report the platform writes in the course's folder, copied to the schedule's."""

    NAME = "edX_DemoX_Demo_Course_may_enroll_info"

    def written(self, stamp="2026-05-04-1203"):
        return csv(stamp, folder=OWN, name=self.NAME)

    def test_copied_to_a_shared_folder_with_the_courses_token(self):
        course = make_row(MAY_ENROLL, folder="reports/2026-05-04", name=self.NAME)
        _, storage = self.settle(course, [self.written()])
        copy = f"reports/2026-05-04/{self.NAME}_{TOKEN}_2026-05-04-1203.csv"
        self.assertEqual((course.outcome, course.platform_path, course.file_path),
                         (Outcome.GENERATED, self.written(), copy))
        self.assertEqual(storage.files[copy][0], b"a,b\n")
        self.assertIn(self.written(), storage.files)

    def test_copied_to_a_folder_named_by_the_course_as_it_is(self):
        course = make_row(MAY_ENROLL, folder=f"reports/{OWN}", name=self.NAME)
        self.settle(course, [self.written()])
        self.assertEqual(course.file_path, f"reports/{OWN}/{self.NAME}_2026-05-04-1203.csv")

    def test_not_copied_when_the_folder_is_the_courses_own(self):
        course = make_row(MAY_ENROLL, folder=OWN, name=self.NAME)
        _, storage = self.settle(course, [self.written()])
        self.assertEqual((course.file_path, course.platform_path), (self.written(), self.written()))
        self.assertEqual(len(storage.files), 1)

    def test_several_files_written_during_the_run_are_said(self):
        course = make_row(MAY_ENROLL, folder=OWN, name=self.NAME)
        self.settle(course, [self.written("2026-05-04-1203"), self.written("2026-05-04-1204")])
        self.assertEqual(course.file_path, self.written("2026-05-04-1203"))
        self.assertTrue(course.error.startswith("2 files of this report were written in the course's folder"))
        self.assertIn(f"not {self.NAME}_2026-05-04-1204.csv", course.error)

    def test_a_failed_copy_is_tried_again_then_fails(self):
        course = make_row(MAY_ENROLL, folder="reports/", name=self.NAME)
        storage = FakeStorage({self.written(): (b"", FINISHED)})
        storage.save = mock.Mock(side_effect=OSError("read-only"))
        ended, _ = self.settle(course, [], storage=storage)
        self.assertFalse(ended)
        ended, _ = self.settle(course, [], storage=storage, now=LATE)
        self.assertTrue(ended)
        self.assertEqual(course.outcome, Outcome.REPORT_FAILED)
        self.assertEqual(course.error, f"could not copy {self.written()} to reports/: read-only")

    def test_the_submission_files_are_a_zip(self):
        name = "edX_DemoX_Demo_Course_submission_files"
        course = make_row(SUBMISSION_FILES, folder="reports/", name=name)
        self.settle(course, [], now=LATE)
        self.assertEqual(
            course.error, f"the platform reported success, but no file {name}_*.zip appeared in {OWN}"
        )
