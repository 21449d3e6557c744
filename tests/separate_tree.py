"""Keeping the integration and browser trees out of the default test run, and strict in CI."""

import os
from pathlib import Path

import pytest


def requested(config, directory):
    """Return whether the pytest command line names ``directory`` or something inside it."""
    directory = Path(directory).resolve()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if path == directory or directory in path.parents:
            return True
    return False


def unavailable(message):
    """Skip with ``message``, or fail under CI (``CI`` set), where these trees must not skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must not skip this: .ci/run provides it)")
    pytest.skip(message)
