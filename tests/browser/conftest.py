"""
Fixtures of the browser tests: the live demo server and Debian's Chromium driven by Playwright.

This tree runs only when it is named on the command line (``make test-browser``). Playwright
never downloads a browser here: it launches ``/usr/bin/chromium`` (``.ci/run`` installs it).
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

from demo.run import free_port, site_ready
from tests.browser.viewport import VIEWPORT
from tests.separate_tree import requested, unavailable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("PIR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ADMIN = ("admin", "admin")


def pytest_ignore_collect(collection_path, config):  # noqa: ARG001  (pytest passes hook arguments by name)
    """Leave this tree out of runs that did not ask for it."""
    return None if requested(config, HERE) else True


@pytest.fixture(scope="session")
def screenshots():
    """
    Return the folder screenshots go to: ``PIR_SCREENSHOTS_DIR`` when asked (``docs/img`` for the docs).

    Otherwise a temporary folder, removed after the run, so the tests leave the tree as it was.
    """
    asked = os.environ.get("PIR_SCREENSHOTS_DIR")
    if asked:
        folder = Path(asked)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="pir-screenshots-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def live_demo():
    """Run ``demo/run.py`` in a fresh folder on a free port; return the site's base URL."""
    from demo import processes

    port = free_port()
    work = tempfile.TemporaryDirectory(prefix="pir-browser-")
    demo_dir = Path(work.name) / "demo"
    env = processes.project_env("demo.settings", DEMO_DIR=demo_dir)
    launcher = processes.Children(Path(work.name) / "logs", env)
    # Sample schedules every minute: their first runs are there to look at within a minute.
    launcher.start(
        "demo", [sys.executable, str(ROOT / "demo" / "run.py"), "--port", str(port), "--every", "60"]
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_for(
            lambda: site_ready(f"{base_url}/admin/login/"), timeout=90, what="the demo's admin site",
            children=launcher,
        )
        yield base_url
    finally:
        launcher.stop(timeout=60)
        work.cleanup()


@pytest.fixture(scope="session")
def browser():
    """Launch Chromium headless through Playwright."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed (make test-browser installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sign_in(browser, live_demo):
    """Return ``sign_in(username, password)``: a new page signed in on its own, at 1366×900."""
    contexts = []

    def sign_in(username, password, login_url="/admin/login/?next=/admin/"):
        context = browser.new_context(viewport=VIEWPORT, base_url=live_demo, accept_downloads=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(login_url)
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def anonymous_page(browser, live_demo):
    """A page of someone not signed in, at 1366×900."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_demo)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def admin_page(sign_in):
    """A page signed in to the demo's admin as its superuser, the navigation sidebar open as by default."""
    page = sign_in(*ADMIN)
    page.wait_for_selector("text=Site administration")
    return page
