"""
The course team's "Scheduled reports" tab in Chromium, against the live demo.

A host page (frontend/host, built with Vite from the package) mounts the tab's page at the
instructor dashboard's route with the real ``@edx/frontend-platform`` authentication service:
the page gets its JWT cookie from the demo LMS's ``/login_refresh`` after the session's login,
and its CSRF token from ``/csrf/api/v1/token``. A data researcher of the sample course creates a
schedule in words with a cap and a window (a window the API refuses first, its message beside
the field), beat runs it, the file is downloaded, the schedule is paused, run now and deleted;
a learner gets the refusal page.

What this does not cover: the real frontend-base shell and the instructor dashboard around the
page (their tab bar, course information, route roles): see frontend/README.md.

Screenshots (1366×900) go where the admin's go: a temporary folder, or ``PIR_SCREENSHOTS_DIR`` (``docs/img``).
"""

import csv
import datetime
import io
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

from demo.run import free_port, site_ready
from tests.browser.helpers import shoot
from tests.browser.viewport import VIEWPORT
from tests.separate_tree import unavailable

ROOT = Path(__file__).resolve().parent.parent.parent
HOST_PAGE = ROOT / "frontend" / "host" / "dist" / "index.html"
COURSE = "course-v1:edX+DemoX+Demo_Course"
TAB = f"/instructor-dashboard/{COURSE}/scheduled_reports"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def tab_demo():
    """Run the demo (its sample schedules every ten minutes) on ``PIR_DEMO_PORT`` or a free port."""
    from demo import processes

    if not HOST_PAGE.exists():
        unavailable(
            "the host page is not built: make test-browser builds it "
            "(cd frontend && npm ci && npm run build:host)"
        )
    port = int(os.environ.get("PIR_DEMO_PORT") or 0) or free_port()
    work = tempfile.TemporaryDirectory(prefix="pir-tab-")
    env = processes.project_env("demo.settings", DEMO_DIR=Path(work.name) / "demo")
    launcher = processes.Children(Path(work.name) / "logs", env)
    launcher.start(
        "demo", [sys.executable, str(ROOT / "demo" / "run.py"), "--port", str(port), "--every", "600"]
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_for(
            lambda: site_ready(f"{base_url}/admin/login/"), timeout=90, what="the demo", children=launcher
        )
        yield base_url
    finally:
        launcher.stop(timeout=60)
        work.cleanup()


def open_tab_as(browser, base_url, username):
    """Open the tab signed out: the page sends the browser to the LMS's login and back; sign in there."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(TAB)
    page.wait_for_url("**/login/?next=*")
    page.fill("#id_username", username)
    page.fill("#id_password", username)  # the demo's course-team passwords (demo/seed.py)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{TAB}")
    return page


def cookie(page, name):
    return next((c for c in page.context.cookies() if c["name"] == name), None)


def schedule_card(page, name):
    return page.locator("li", has=page.get_by_role("heading", name=name))


def wait_for_run_file(page, name, count=1, timeout=240):
    """Refresh until the runs table has ``count`` rows of schedule ``name`` with a download link."""
    from playwright.sync_api import expect

    deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
    rows = page.locator("tbody tr", has_text=name).filter(has=page.get_by_role("link", name="Download"))
    while rows.count() < count:
        assert datetime.datetime.now() < deadline, f"no {count} file(s) of {name} after {timeout} s"
        page.wait_for_timeout(5000)
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_role("heading", name="Scheduled reports")).to_be_visible()
    return rows


def test_a_data_researcher_schedules_downloads_pauses_runs_now_and_deletes(browser, tab_demo, screenshots):
    from playwright.sync_api import expect

    page = open_tab_as(browser, tab_demo, "rhea")
    expect(page.get_by_role("heading", name="Scheduled reports")).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("rhea")
    # The real authentication: the split JWT cookie, its signature out of the page's reach.
    assert cookie(page, "edx-jwt-cookie-header-payload")["httpOnly"] is False
    assert cookie(page, "edx-jwt-cookie-signature")["httpOnly"] is True
    # An administrator's schedule of the course is listed, without buttons for a researcher.
    admin_card = schedule_card(page, "Grades in the dashboard's folder")
    expect(
        admin_card.get_by_text("Only its owner and the course’s instructors may change it.")
    ).to_be_visible()
    expect(admin_card.get_by_role("button")).to_have_count(0)

    # Create: every day at the next minute but one (UTC, the demo site's time zone), from the keyboard.
    page.get_by_role("button", name="New schedule").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New schedule")
    expect(dialog).to_be_visible()
    due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)
    dialog.get_by_label("Report", exact=True).select_option(label="Grade report")
    dialog.get_by_label("Name", exact=True).fill("Rhea's daily grades")
    dialog.get_by_label("Repeats", exact=True).select_option(label="Every day")
    dialog.get_by_label("At (time of day)", exact=True).fill(due.strftime("%H:%M"))
    expect(dialog.get_by_label("Time zone", exact=True)).to_have_value("UTC")
    dialog.get_by_label("E-mail the links to", exact=True).fill("rhea@example.com")
    expect(dialog.get_by_test_id("when-preview")).to_have_text(f"Runs every day at {due:%H:%M} (UTC).")
    # Pacing: a window shorter than a minute is refused by the API, its message beside the field.
    dialog.get_by_label("Reports at once, at most", exact=True).fill("2")
    window = dialog.get_by_label("Finish within", exact=True)
    window.fill("0:00:30")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("The schedule was not saved")
    too_short = "Enter a window of at least a minute, for example 4:00:00 for four hours."
    expect(dialog.get_by_text(too_short, exact=True)).to_be_visible()
    expect(window).to_have_accessible_description(re.compile(re.escape(too_short)))
    expect(window).to_have_attribute("aria-invalid", "true")
    window.fill("1:00:00")
    shoot(page, screenshots, "course-team-tab-new-schedule")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("“Rhea's daily grades” is saved.")).to_be_visible()
    card = schedule_card(page, "Rhea's daily grades")
    expect(card.get_by_text("rhea (you)")).to_be_visible()
    expect(card.get_by_text("rhea@example.com")).to_be_visible()
    expect(card.get_by_text(
        "at most 2 of its reports at once; a run ends within 1 hour of its due time", exact=True
    )).to_be_visible()

    # Beat runs it at its time; the file is downloaded through the link the API gave.
    rows = wait_for_run_file(page, "Rhea's daily grades")
    with page.expect_download() as download_info:
        rows.first.get_by_role("link", name="Download").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    header = next(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert header, "the report has a header row"
    expect(card.get_by_text("done")).to_be_visible()
    expect(rows.first.get_by_text("Window ends:")).to_be_visible()  # its due time and the hour after
    shoot(page, screenshots, "course-team-tab")

    # Pause, run now, delete (confirmed).
    card.get_by_role("button", name="Pause “Rhea's daily grades”").click()
    expect(page.get_by_text("“Rhea's daily grades” is paused.")).to_be_visible()
    expect(card.get_by_text("Paused", exact=True).first).to_be_visible()
    card.get_by_role("button", name="Run now “Rhea's daily grades”").click()
    expect(page.get_by_text("“Rhea's daily grades” is running now;")).to_be_visible()
    wait_for_run_file(page, "Rhea's daily grades", count=2)
    card.get_by_role("button", name="Delete “Rhea's daily grades”").click()
    confirm = page.get_by_role("dialog", name="Delete “Rhea's daily grades”?")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("“Rhea's daily grades” is deleted.")).to_be_visible()
    expect(schedule_card(page, "Rhea's daily grades")).to_have_count(0)
    expect(page.locator("tbody tr", has_text="Rhea's daily grades")).to_have_count(2)  # its runs stay

    # On a phone: nothing wider than the screen.
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_a_learner_gets_the_refusal_page(browser, tab_demo, screenshots):
    from playwright.sync_api import expect

    page = open_tab_as(browser, tab_demo, "lee")
    expect(page.get_by_role("heading", name="You may not schedule reports of this course")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        "You may not schedule reports of this course: that needs"
    )
    expect(page.get_by_role("button", name="New schedule")).to_have_count(0)
    shoot(page, screenshots, "course-team-tab-refused")
    page.context.close()
