"""The version, the change log and the Tutor package agree on what is released."""

import ast
import re
import unittest
from pathlib import Path

import periodic_instructor_reports
from periodic_instructor_reports import conf

ROOT = Path(__file__).resolve().parents[1]
TUTOR_PACKAGE = ROOT / "tutor-contrib-periodic-reports" / "tutor_periodic_reports"


def released_versions():
    """Return the versions of CHANGELOG.rst's release headings (``X.Y.Z – date``), newest first."""
    lines = (ROOT / "CHANGELOG.rst").read_text(encoding="utf-8").splitlines()
    return [
        match.group(1)
        for line, underline in zip(lines, lines[1:], strict=False)
        if underline.startswith("***") and (match := re.match(r"(\d+\.\d+\.\d+) – \d{4}-\d{2}-\d{2}$", line))
    ]


def module_constant(path, name):
    """Return the literal value of the module-level constant ``name`` in ``path``, without importing it."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {path}")


class ReleaseTests(unittest.TestCase):
    def test_version_is_the_newest_released_heading_of_the_change_log(self):
        versions = released_versions()
        self.assertTrue(versions, "CHANGELOG.rst has no release heading")
        self.assertEqual(periodic_instructor_reports.__version__, versions[0])

    def test_tutor_package_version_is_the_plugin_version(self):
        self.assertEqual(module_constant(TUTOR_PACKAGE / "__about__.py", "__version__"),
                         periodic_instructor_reports.__version__)

    def test_tutor_package_knows_every_setting(self):
        self.assertEqual(list(module_constant(TUTOR_PACKAGE / "plugin.py", "SETTING_NAMES")),
                         list(conf.SETTINGS))

    def test_every_setting_is_described(self):
        for name, (_default, description) in conf.SETTINGS.items():
            with self.subTest(name):
                self.assertGreater(len(description), 20)
                self.assertEqual(conf.DEFAULTS[name], _default)
