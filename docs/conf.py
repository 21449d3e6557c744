"""Sphinx configuration of the periodic-instructor-reports documentation (``make docs``)."""

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE / "_ext")]

project = "Periodic Instructor Reports"
author = "The periodic-instructor-reports authors"
copyright = "the periodic-instructor-reports authors"
release = re.search(
    r'^__version__ = "([^"]+)"', (ROOT / "periodic_instructor_reports" / "__init__.py").read_text(), re.M
).group(1)
version = release

extensions = ["plugin_settings"]
exclude_patterns = ["_build"]
html_theme = "sphinx_book_theme"
html_title = f"{project} {release}"
html_theme_options = {
    "repository_url": "https://github.com/openedx/periodic-instructor-reports",
    "use_repository_button": False,
    "show_toc_level": 2,
}
nitpicky = True
html_static_path = ["_static"]
html_css_files = ["tables.css"]
