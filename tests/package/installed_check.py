"""
Check, with an installed wheel, that the plugin's admin pages find their templates and static files.

Run by ``check_wheel.py`` in a fresh virtualenv, from a folder outside the source tree.
Exits non-zero (an assertion naming what is missing) on failure.
"""

import os
import re
import sys
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from django.test import Client  # noqa: E402

import periodic_instructor_reports  # noqa: E402

PACKAGE = Path(periodic_instructor_reports.__file__).resolve().parent
STATIC_FILES = ("periodic_instructor_reports/schedule_form.js", "periodic_instructor_reports/admin.css")
TEMPLATES = "admin/periodic_instructor_reports/periodicreportschedule/change_form.html"
ADMIN = "/admin/periodic_instructor_reports/"


def main():
    assert PACKAGE.is_relative_to(Path(sys.prefix).resolve()), f"imported from {PACKAGE}, not the virtualenv"
    print(f"package installed at {PACKAGE}")
    for name in STATIC_FILES:
        found = finders.find(name)
        assert found and Path(found).is_relative_to(PACKAGE), f"static file {name} not found in the package"
        print(f"static file {name}: {found}")
    template = get_template(TEMPLATES)
    print(f"template {TEMPLATES}: {template.origin.name}")
    assert Path(template.origin.name).is_relative_to(PACKAGE), template.origin.name

    call_command("migrate", interactive=False, verbosity=0)
    get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
    client = Client()
    client.login(username="admin", password="admin")
    for page in ("periodicreportschedule/add/", "periodicreportschedule/", "periodicreporttask/add/"):
        response = client.get(ADMIN + page)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        html = response.content.decode()
        linked = re.findall(r'(?:src|href)="/static/([^"?]+)', html)
        assert linked, f"{page} links no static file"
        missing = [name for name in linked if not finders.find(name)]
        assert not missing, f"{page} links static files that are not installed: {missing}"
        print(f"{ADMIN}{page}: 200, {len(linked)} static files, all found")
    add_page = client.get(ADMIN + "periodicreportschedule/add/").content.decode()
    for name in STATIC_FILES:
        assert f"/static/{name}" in add_page, f"the schedule form does not load {name}"
    print("installed wheel: templates and static files found")


if __name__ == "__main__":
    main()
