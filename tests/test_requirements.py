"""The requirements files agree: floors.txt with constraints.txt, lms.txt with the LMS's pins."""

import pathlib
import re

from django.test import SimpleTestCase

REQUIREMENTS = pathlib.Path(__file__).resolve().parent.parent / "requirements"


def _name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def specifiers(filename):
    """Return {normalized name: [(operator, version), ...]} of a requirements file's lines."""
    found = {}
    for line in (REQUIREMENTS / filename).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", line)
        specs = [re.fullmatch(r"(==|>=|<=|!=|~=|<|>)\s*(\S+)", part.strip()) for part in match[2].split(",")]
        found[_name(match[1])] = [spec.groups() for spec in specs if spec]
    return found


def versions(filename, operator):
    """Return {name: version} of the ``operator`` specifiers of a requirements file."""
    return {
        name: version
        for name, specs in specifiers(filename).items()
        for op, version in specs
        if op == operator
    }


class FloorsTests(SimpleTestCase):
    def test_floors_pin_exactly_the_lower_bounds_of_the_constraints(self):
        lower_bounds = versions("constraints.txt", ">=")
        floors = versions("floors.txt", "==")
        self.assertEqual(floors, lower_bounds)
        self.assertEqual(set(floors), set(specifiers("floors.txt")), "floors.txt pins with == only")

    def test_every_direct_dependency_has_a_floor(self):
        direct = set(specifiers("base.in"))
        self.assertEqual(direct - set(versions("constraints.txt", ">=")), set())


class LmsPinsTests(SimpleTestCase):
    def test_lms_txt_has_the_versions_the_lms_pins(self):
        lms_pins = versions("lms-constraints.txt", "==")
        compiled = versions("lms.txt", "==")
        self.assertTrue(lms_pins)
        self.assertEqual({name: compiled.get(name) for name in lms_pins}, lms_pins)

    def test_lms_txt_is_compiled_under_python_312(self):
        self.assertIn("pip-compile with Python 3.12", (REQUIREMENTS / "lms.txt").read_text(encoding="utf-8"))
