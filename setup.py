"""Package metadata for periodic-instructor-reports."""

import os
import re

from setuptools import find_namespace_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def get_version():
    """Return ``__version__`` from the package without importing it."""
    with open(os.path.join(HERE, "periodic_instructor_reports", "__init__.py"), encoding="utf-8") as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def load_requirements(*paths):
    """Return the requirements named in ``*.in`` files, with the limits of constraints.txt."""
    constraints = {}
    with open(os.path.join(HERE, "requirements", "constraints.txt"), encoding="utf-8") as f:
        for line in f:
            spec = line.split("#", 1)[0].strip()
            if spec:
                name = re.match(r"[A-Za-z0-9_.\-\[\]]+", spec).group(0)
                constraints[name.lower()] = spec
    requirements = []
    for path in paths:
        with open(os.path.join(HERE, path), encoding="utf-8") as f:
            for line in f:
                name = line.split("#", 1)[0].strip()
                if name and not name.startswith("-"):
                    requirements.append(constraints.get(name.lower(), name))
    return requirements


with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
    README = f.read()

setup(
    name="periodic-instructor-reports",
    version=get_version(),
    description="Open edX LMS plugin that generates instructor reports on a schedule",
    long_description=README,
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    # The package's folders of templates and static files are data, listed by MANIFEST.in; found as
    # namespace packages, setuptools ships them without a page of warnings about each one.
    packages=find_namespace_packages(
        include=["periodic_instructor_reports", "periodic_instructor_reports.*"], exclude=["*.__pycache__"]
    ),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=load_requirements("requirements/base.in"),
    zip_safe=False,
    keywords=["Django", "Open edX", "edx", "celery", "reports"],
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
    entry_points={
        "lms.djangoapp": [
            "periodic_instructor_reports = periodic_instructor_reports.apps:PeriodicInstructorReportsConfig",
        ],
    },
)
