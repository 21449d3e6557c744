"""Keeping the integration and browser trees out of the default test run."""

from pathlib import Path


def requested(config, directory):
    """Return whether the pytest command line names ``directory`` or something inside it."""
    directory = Path(directory).resolve()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if path == directory or directory in path.parents:
            return True
    return False
