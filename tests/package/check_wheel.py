"""
Build the sdist and, from it, the wheel; install the wheel in a fresh virtualenv and check it there.

The wheel is built from the sdist, as ``python -m build`` does, so both must carry every file the
package needs. The check runs ``installed_check.py`` with the virtualenv's Python in a folder
outside the source tree: the plugin's admin pages must find their templates and static files in
the installed package. Everything happens in a temporary folder that is removed afterwards.

Usage: ``make test-wheel`` (or ``.venv/bin/python tests/package/check_wheel.py``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGE = "periodic_instructor_reports"


def run(command, **kwargs):
    """Run ``command``, failing with its output if it fails."""
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def package_files():
    """Return the files of the package in the source tree, as paths in a wheel."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}
    }


# What is never part of the source: build output, virtualenvs, caches, the demo's files.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", ".tox", "var", "build", "dist", "*.egg-info", "__pycache__", "*.py[co]", ".hypothesis",
    ".pytest_cache", ".ruff_cache",
)


def build(work):
    """Build the sdist from a copy of the tree (setuptools writes in it), then the wheel from the sdist."""
    source, dist = work / "source", work / "dist"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    hook = f"from setuptools.build_meta import build_sdist; print(build_sdist({str(dist)!r}))"
    sdist = subprocess.run(
        [sys.executable, "-c", hook],
        cwd=source, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    print(f"sdist: {sdist}")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, dist / sdist], cwd=work)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def check_contents(wheel):
    """Assert the wheel holds every file of the package and nothing outside it."""
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(package_files() - names)
    assert not missing, f"the wheel leaves out: {missing}"
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {PACKAGE}, tops
    print(f"{wheel.name}: all {len(package_files())} files of the package")


def install_and_check(work, wheel):
    """Install ``wheel`` in a new virtualenv and run ``installed_check.py`` with it, outside the tree."""
    # Nothing of the source tree may be seen: with it on PYTHONPATH, pip takes its editable
    # install's metadata for the package and installs nothing.
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE"}}
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], env=env)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-c", ROOT / "requirements" / "base.txt", wheel], env=env)
    project = work / "project"
    project.mkdir()
    for name in ("settings.py", "urls.py", "installed_check.py"):
        shutil.copy(HERE / name, project / name)
    run([python, "installed_check.py"], cwd=project, env=env)


def main():
    work = Path(tempfile.mkdtemp(prefix="pir-wheel-check-"))
    try:
        wheel = build(work)
        check_contents(wheel)
        install_and_check(work, wheel)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("wheel check passed")


if __name__ == "__main__":
    main()
