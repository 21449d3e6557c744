"""The Tutor plugin's tests run only when named (``make test-tutor``): they need Tutor installed."""

from pathlib import Path

from tests.separate_tree import requested

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):  # noqa: ARG001  (pytest passes hook arguments by name)
    """Leave this tree out of runs that did not ask for it."""
    return None if requested(config, HERE) else True
