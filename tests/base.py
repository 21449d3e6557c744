"""Test case bases shared by the suites."""

import datetime
import os
import shutil
import tempfile

import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

# Midday in the tests' time zone (UTC): far from both midnights.
MIDDAY = datetime.datetime(2026, 3, 11, 12, tzinfo=datetime.UTC)


def at_midday(test):
    """
    Start a test's clock (or a test class's, set-up included) at ``MIDDAY``; it still ticks.

    For tests that compare "today" with the day the code computed: run at any hour, midnight
    could fall between the two.
    """
    return time_machine.travel(MIDDAY)(test)


class QueryCountMixin:
    """Count the queries an admin page makes, once its caches are warm."""

    def queries_for(self, url):
        """Return how many queries a (warm) GET of ``url`` makes."""
        self.client.get(url)
        with CaptureQueriesContext(connection) as context:
            self.client.get(url)
        return len(context.captured_queries)


class ReportFilesMixin:
    """Give each test class a fresh folder for the platform's report store, and list its files."""

    @classmethod
    def setUpClass(cls):
        cls.report_dir = tempfile.mkdtemp(prefix="pir-reports-")
        cls.addClassCleanup(shutil.rmtree, cls.report_dir, ignore_errors=True)
        override = override_settings(GRADES_DOWNLOAD={
            "STORAGE_CLASS": "django.core.files.storage.FileSystemStorage",
            "STORAGE_KWARGS": {"location": cls.report_dir},
        })
        override.enable()
        cls.addClassCleanup(override.disable)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        for entry in os.listdir(self.report_dir):
            shutil.rmtree(os.path.join(self.report_dir, entry))

    def report_files(self):
        """Return the stored report paths, relative to the store, sorted."""
        found = []
        for folder, _, files in os.walk(self.report_dir):
            for name in files:
                found.append(os.path.relpath(os.path.join(folder, name), self.report_dir))
        return sorted(found)
