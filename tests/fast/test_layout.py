"""The package's shape holds: no import cycle, the task module on top, small modules, one vocabulary."""

import ast
import pathlib

from django.db import models
from django.test import SimpleTestCase

import periodic_instructor_reports
from periodic_instructor_reports import models as plugin_models
from periodic_instructor_reports import states

PACKAGE = pathlib.Path(periodic_instructor_reports.__file__).parent
NAME = PACKAGE.name
MAX_LINES = 400


def modules():
    """Return ``{dotted name: path}`` of the package's modules, migrations and settings aside."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts or "settings" in parts:
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name, path, known):
    """Return the package's modules ``name`` imports, anywhere in it (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(candidate for candidate in candidates if candidate in known and candidate != name)
    return found


def cycles(graph):
    """Return the groups of modules that import each other, of more than one (Tarjan's algorithm)."""
    state = {"index": {}, "low": {}, "stack": [], "groups": []}
    for node in sorted(graph):
        if node not in state["index"]:
            _visit(graph, node, state)
    return state["groups"]


def _visit(graph, node, state):
    index, low, stack = state["index"], state["low"], state["stack"]
    index[node] = low[node] = len(index)
    stack.append(node)
    for other in graph[node]:
        if other not in index:
            _visit(graph, other, state)
            low[node] = min(low[node], low[other])
        elif other in stack:
            low[node] = min(low[node], index[other])
    if low[node] == index[node]:
        group = stack[stack.index(node):]
        del stack[stack.index(node):]
        if len(group) > 1:
            state["groups"].append(sorted(group))


class LayoutTests(SimpleTestCase):
    """What ADR 0022 asks of every change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = modules()
        cls.graph = {name: imports(name, path, cls.modules) for name, path in cls.modules.items()}

    def test_the_walk_finds_the_imports(self):
        # The checks below mean something only if the imports are read: two known edges.
        self.assertIn(f"{NAME}.runs.store", self.graph[f"{NAME}.runs.dispatch"])
        self.assertIn(f"{NAME}.runs.dispatch", self.graph[f"{NAME}.tasks"])

    def test_a_cycle_is_found(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
        self.assertEqual(cycles(graph), [["a", "b", "c"]])

    def test_no_import_cycle(self):
        self.assertEqual(cycles(self.graph), [])

    def test_the_task_module_is_imported_by_none(self):
        importers = sorted(name for name, imported in self.graph.items() if f"{NAME}.tasks" in imported)
        self.assertEqual(importers, [])

    def test_no_module_over_the_limit(self):
        lines = {name: len(path.read_text().splitlines()) for name, path in self.modules.items()}
        self.assertEqual({name: count for name, count in lines.items() if count > MAX_LINES}, {})

    def test_the_models_take_their_states_from_the_vocabulary(self):
        run, course = plugin_models.ReportRun, plugin_models.ReportRunCourse
        schedule = plugin_models.PeriodicReportSchedule
        fields = [
            (run, "status", states.RunStatus), (run, "trigger", states.Trigger),
            (course, "outcome", states.Outcome), (schedule, "notify", states.Notify),
            (schedule, "course_state", states.CourseState),
            (schedule, "upload_folder_structure", states.FolderStructure),
        ]
        for model, name, vocabulary in fields:
            with self.subTest(field=name):
                self.assertEqual(model._meta.get_field(name).choices, vocabulary.choices)

    def test_choices_are_defined_in_the_vocabulary_only(self):
        defined = []
        for name, path in self.modules.items():
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "attr", getattr(base, "id", "")) in {"TextChoices", "IntegerChoices"}
                    for base in node.bases
                ):
                    defined.append(name)
        self.assertEqual(set(defined), {f"{NAME}.states"})
        self.assertTrue(issubclass(states.RunStatus, models.TextChoices))
