"""
The plugin's lists and registry in a real browser at 1366×900: what an operator reads without scrolling.
"""

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    GRADE_REPORT,
    OTHER_COURSE,
    RUNS,
    SCHEDULES,
    TASKS,
    assert_in_view,
    assert_no_horizontal_scroll,
    cells,
    pick_course,
    reload_until,
    shoot,
)

DEMO_SCHEDULES = (
    "Grades in the dashboard's folder", "Problem grades by date", "Learner profiles in one folder",
    "Grades of running OpenedX courses",
)


def column_header(page, text):
    return page.locator("#result_list thead th", has_text=re.compile(rf"^\s*{text}\s*$", re.I))


def test_report_tasks_list_form_and_add(admin_page, screenshots):
    page = admin_page
    page.goto(TASKS)
    for name in ("Grade report", "Problem grade report", "Profile information report"):
        expect(page.locator("#result_list")).to_contain_text(name)
    shoot(page, screenshots, "periodic-instructor-report-tasks")

    page.goto(TASKS + "add/")
    page.fill("#id_name", "Weekly grade report")
    page.fill("#id_path", "os.system")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("os.system is not an allowed report function")

    # Whether it takes a request is read from the function: shown, not asked.
    expect(page.locator("#id_requires_request")).to_have_count(0)
    page.fill("#id_path", GRADE_REPORT)
    shoot(page, screenshots, "periodic-instructor-report-task-example")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = page.locator("#result_list tbody tr", has_text="Weekly grade report")
    expect(row.locator(".field-requires_request img")).to_have_attribute("alt", "True")
    row.locator("th a").click()
    expect(page.locator(".field-requires_request")).to_contain_text("Requires request")


def test_schedule_list_reads_at_a_glance(admin_page, screenshots):
    page = admin_page
    page.goto(SCHEDULES)
    reload_until(page, lambda p: "generated" in p.locator("#result_list").inner_text(),
                 what="the demo's first runs")
    for header in ("Name", "Task", "When", "Courses", "Last run", "Next run"):
        assert_in_view(page, column_header(page, header))
    assert_no_horizontal_scroll(page)
    for name in DEMO_SCHEDULES:
        assert_in_view(page, page.locator("#result_list a", has_text=name))
    row = page.locator("#result_list tbody tr", has_text="Grades of running OpenedX courses")
    expect(row.locator(".field-when_text")).to_have_text("every minute")
    expect(row.locator(".field-courses_text")).to_have_text("+ running courses of OpenedX")
    row = page.locator("#result_list tbody tr", has_text="Problem grades by date")
    expect(row.locator(".field-courses_text")).to_have_text("course-v1:edX+DemoX+Demo_Course +2 more")
    expect(row.locator(".field-last_run_text")).to_contain_text(re.compile(r"\d\d:\d\d:\d\d UTC"))
    when = re.compile(r"^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
    expect(row.locator(".field-next_run")).to_have_text(when)
    shoot(page, screenshots, "periodic-instructor-report-schedules")

    # Rows stay short: with ten schedules, all ten are on screen without scrolling.
    for number in range(1, 11 - page.locator("#result_list tbody tr").count()):
        add_paused_schedule(page, f"Paused grades, copy {number} of a long schedule name")
    page.goto(SCHEDULES)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 10
    for index in range(10):
        assert_in_view(page, rows.nth(index))
    assert_no_horizontal_scroll(page)


def add_paused_schedule(page, name):
    """Add a paused schedule of the sample course in the admin, as a person does."""
    page.goto(SCHEDULES + "add/")
    page.fill("#id_name", name)
    page.select_option("#id_task", label="Grade report")
    page.select_option("#id_interval", index=1)  # the demo's one interval
    pick_course(page, "Demonstration", "course-v1:edX+DemoX+Demo_Course — Demonstration Course")
    page.fill("#id_upload_folder_prefix", "glance/")
    page.uncheck("#id_enabled")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")


def search(page, term):
    """Type ``term`` in the list's search box and press Enter; wait for the results."""
    page.fill("#searchbar", term)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    expect(page.locator("#changelist")).to_be_visible()


def test_search_by_course_id_and_by_owner(admin_page):
    page = admin_page
    page.goto(SCHEDULES)
    search(page, OTHER_COURSE)
    assert sorted(cells(page, "name")) == [
        "Anonymized ids by date", "Learner profiles in one folder", "Problem grades by date",
    ]
    search(page, "nobody-has-this")
    expect(page.locator("#changelist")).to_contain_text("0 Periodic report schedules")
    search(page, "admin")
    assert set(DEMO_SCHEDULES) <= set(cells(page, "name"))


def test_run_list_reads_at_a_glance(admin_page, screenshots):
    page = admin_page
    page.goto(RUNS)
    expect(page.locator("#result_list")).to_be_visible()
    for header in ("ID", "Schedule", "Trigger", "Due time", "Status", "Outcomes", "Duration"):
        assert_in_view(page, column_header(page, header))
    assert_no_horizontal_scroll(page)
    first = page.locator("#result_list tbody tr").first
    assert_in_view(page, first.locator(".field-outcome_counts"))
    shoot(page, screenshots, "periodic-instructor-report-runs")
