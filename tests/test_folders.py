"""The upload folder each structure gives, and the files the platform then writes there."""

import datetime
import hashlib

import ddt
from django.test import SimpleTestCase
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports.folders import upload_parent_dir

KEY = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")
CCX_KEY = CourseKey.from_string("ccx-v1:edX+DemoX+Demo_Course+ccx@7")
HASH = hashlib.sha1(b"course-v1:edX+DemoX+Demo_Course").hexdigest()
CCX_HASH = hashlib.sha1(b"ccx-v1:edX+DemoX+Demo_Course+ccx@7").hexdigest()
DAY = datetime.date(2026, 11, 25)


@ddt.ddt
class UploadParentDirTests(SimpleTestCase):
    @ddt.unpack
    @ddt.data(
        ("regular", "", KEY, HASH),
        ("regular", "periodic-reports/", KEY, "periodic-reports/" + HASH),
        ("regular", "periodic-", KEY, "periodic-" + HASH),
        ("regular", "periodic-reports/", CCX_KEY, "periodic-reports/" + CCX_HASH),
        ("by_date", "", KEY, "2026-11-25"),
        ("by_date", "periodic-reports/", KEY, "periodic-reports/2026-11-25"),
        ("by_date", "periodic-", KEY, "periodic-2026-11-25"),
        ("flat", "", KEY, ""),
        ("flat", "periodic-reports/", KEY, "periodic-reports/"),
        ("flat", "periodic-", KEY, "periodic-"),
    )
    def test_structure(self, structure, prefix, key, expected):
        self.assertEqual(
            upload_parent_dir(structure=structure, prefix=prefix, course_key=key, run_date=DAY),
            expected,
        )

    def test_unknown_structure(self):
        with self.assertRaisesMessage(ValueError, "unknown upload folder structure 'nested'"):
            upload_parent_dir(structure="nested", prefix="", course_key=KEY, run_date=DAY)
