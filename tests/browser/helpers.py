"""What the browser tests share: the viewport, what a person sees without scrolling, waiting for runs."""

import re
import time

from playwright.sync_api import expect

from tests.browser.viewport import VIEWPORT

TASKS = "/admin/periodic_instructor_reports/periodicreporttask/"
SCHEDULES = "/admin/periodic_instructor_reports/periodicreportschedule/"
RUNS = "/admin/periodic_instructor_reports/reportrun/"
RUN_COURSES = "/admin/periodic_instructor_reports/reportruncourse/"
USERS = "/admin/auth/user/"
GRADE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
COURSE = "course-v1:edX+DemoX+Demo_Course"
OTHER_COURSE = "course-v1:OpenedX+Reports101+2026"


def shoot(page, folder, name, full_page=False):
    """Save a screenshot as ``<folder>/<name>.png``: the viewport a person sees, or the whole page."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def assert_in_view(page, locator):
    """Assert the element is on screen as the page opened: no scrolling, inside 1366×900."""
    expect(locator).to_be_visible()
    assert page.evaluate("[window.scrollX, window.scrollY]") == [0, 0]
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= VIEWPORT["width"] + 0.5, box
    assert box["y"] + box["height"] <= VIEWPORT["height"] + 0.5, box


def assert_no_horizontal_scroll(page):
    """Assert neither the page nor the admin's result table scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    results = page.locator("#changelist .results")
    if results.count():
        widths = results.evaluate("node => [node.scrollWidth, node.clientWidth]")
        assert widths[0] <= widths[1], f"the list scrolls sideways: {widths}"


def cells(page, column):
    """Return the texts of a list column's cells (``field-<column>``), top to bottom."""
    return [text.strip() for text in page.locator(f"#result_list .field-{column}").all_inner_texts()]


def reload_until(page, condition, timeout=120, what="the page to change"):
    """Reload ``page`` every two seconds until ``condition(page)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(2)
        page.reload()


def pick_course(page, term, option_text):
    """Choose a course in the schedule page's picker by typing, as a person does."""
    page.locator(".field-course_ids .select2-selection").click()
    page.locator(".field-course_ids .select2-search__field").press_sequentially(term)
    option = page.locator(".select2-results__option", has_text=option_text).first
    option.click()


def admin_form_errors(page):
    """Return the text of the form's errors, once the page shows them."""
    expect(page.locator(".errornote")).to_be_visible()
    return " ".join(page.locator(".errorlist").all_inner_texts())


def add_user(page, username, password, superuser=False):
    """Add an account in the user admin as a person does; return its id."""
    page.goto(USERS + "add/")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    if superuser:
        page.check("#id_is_staff")
        page.check("#id_is_superuser")
        page.click("input[name=_continue]")
        expect(page.locator(".messagelist .success")).to_be_visible()
    found = re.search(r"/auth/user/(\d+)/change/", page.url)
    assert found, page.url
    return found.group(1)
