"""
Courses chosen by organisation and state, at 1366×900: the page lists today's matches, the list says
what the schedule selects, and a run reports on the courses chosen when it runs.
"""

import re

from playwright.sync_api import expect

from tests.browser.helpers import SCHEDULES, assert_in_view, reload_until

NAME = "Problem grades of OpenedX courses"


def test_select_by_organisation_and_state_then_run(admin_page):
    page = admin_page
    page.goto(SCHEDULES + "add/")
    page.fill("#id_name", NAME)
    page.select_option("#id_task", label="Problem grade report")
    page.select_option("#id_interval", label="every 60 seconds")
    page.select_option("#id_course_orgs", ["OpenedX"])
    page.select_option("#id_course_state", "running")
    page.fill("#id_upload_folder_prefix", "periodic-reports/openedx-problems/")
    page.select_option("#id_upload_folder_structure", "flat")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    selected = page.locator(".field-selected_courses")
    expect(selected).to_contain_text("+ running courses of OpenedX (2 courses)")
    expect(selected).to_contain_text("course-v1:OpenedX+Data201+2026")
    expect(selected).to_contain_text("course-v1:OpenedX+Reports101+2026")
    expect(selected).not_to_contain_text("Future301")

    # Next month's course instead: starting within 60 days.
    page.select_option("#id_course_state", "starting")
    page.fill("#id_course_state_days", "60")
    page.click("input[name=_continue]")
    expect(selected).to_contain_text("+ courses starting within 60 days of OpenedX (1 course)")
    expect(selected).to_contain_text("course-v1:OpenedX+Future301+2027")

    page.goto(SCHEDULES)
    row = page.locator("#result_list tbody tr", has_text=NAME)
    assert_in_view(page, row.locator(".field-courses_text"))
    expect(row.locator(".field-courses_text")).to_have_text("+ courses starting within 60 days of OpenedX")

    # A run reports on the courses chosen as it runs; its page lists them.
    row.locator("th a").click()
    page.click("#pir-run-now")
    expect(page.locator(".messagelist")).to_contain_text("Queued a run of 1 schedule.")
    reload_until(page, lambda p: re.search(r"done", p.locator(".field-recent_runs").inner_text()) is not None,
                 what="the run to finish")
    page.locator(".field-recent_runs table a").first.click()
    courses = page.locator(".field-course_table")
    expect(courses).to_contain_text("course-v1:OpenedX+Future301+2027")
    expect(courses).not_to_contain_text("Reports101")
    expect(courses).to_contain_text("generated")
