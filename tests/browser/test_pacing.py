"""
An operator paces a schedule at 1366×900: gives it a cap and a window (a mistake first), runs it,
reads the run's progress block, changes the cap, deletes the schedule.
"""

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    SCHEDULES,
    admin_form_errors,
    assert_no_horizontal_scroll,
    pick_course,
    reload_until,
    shoot,
)

NAME = "Paced grades of two courses"


def add_interval(page, every, period):
    """Add an interval through the schedule form's "+" pop-up, as a person does."""
    with page.expect_popup() as opened:
        page.click("#add_id_interval")
    popup = opened.value
    popup.fill("#id_every", str(every))
    popup.select_option("#id_period", period)
    with popup.expect_event("close"):
        popup.click("input[name=_save]")


def test_cap_and_window_run_progress_change_and_delete(admin_page, screenshots):
    page = admin_page
    page.goto(SCHEDULES + "add/")
    page.fill("#id_name", NAME)
    page.select_option("#id_task", label="Grade report")
    add_interval(page, 2, "hours")
    expect(page.locator("#id_interval option:checked")).to_have_text(re.compile("every 2 hours"))
    pick_course(page, "Demonstration", "course-v1:edX+DemoX+Demo_Course — Demonstration Course")
    pick_course(page, "Reports 101", "course-v1:OpenedX+Reports101+2026 — Reports 101")

    # The pacing fieldset says what the fields mean; a cap of 0 and a window longer than the
    # interval are refused with a message each, nothing saved.
    pacing = page.locator("fieldset", has_text="Pacing").first
    expect(pacing).to_contain_text("the site's cap is")
    expect(pacing.locator("#id_finish_within")).to_have_attribute("placeholder", "4:00:00")
    page.fill("#id_max_in_flight", "0")
    page.fill("#id_finish_within", "3:00:00")
    page.click("input[name=_save]")
    errors = admin_form_errors(page)
    assert "Enter at least 1" in errors
    assert "Enter at most 2 hours" in errors

    page.fill("#id_max_in_flight", "1")
    page.fill("#id_finish_within", "0:30:00")
    page.locator("#id_max_in_flight").scroll_into_view_if_needed()
    shoot(page, screenshots, "periodic-instructor-report-schedule-pacing")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    expect(page.locator("#id_finish_within")).to_have_value("00:30:00")

    # Run it now: one report at a time, both end; the run's page says how it went.
    page.click("#pir-run-now")
    expect(page.locator(".messagelist")).to_contain_text("Queued a run of 1 schedule.")
    reload_until(page, lambda p: "2 generated" in p.locator(".field-recent_runs").inner_text(),
                 what="the paced run to generate both reports")
    page.locator(".field-recent_runs table a").first.click()
    block = page.locator(".field-progress .pir-progress")
    expect(block).to_be_visible()
    expect(block.locator(".pir-progress-waiting td")).to_have_text("0")
    expect(block.locator(".pir-progress-in-flight td")).to_have_text("0")
    expect(block.locator(".pir-progress-finished td")).to_have_text("2")
    expect(block.locator(".pir-progress-expected-end td")).to_have_text("over")
    window_end = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    expect(block.locator(".pir-progress-window td")).to_have_text(window_end)
    expect(block.locator(".pir-progress-pacing td")).to_contain_text("at most 1 report in flight")
    expect(block.locator(".pir-progress-pacing td")).to_contain_text("schedule cap 1")
    assert_no_horizontal_scroll(page)
    block.scroll_into_view_if_needed()
    shoot(page, screenshots, "periodic-instructor-report-run-progress")

    # Change the cap; the list says it in short under the next run.
    page.goto(SCHEDULES)
    page.locator("#result_list a", has_text=NAME).click()
    page.fill("#id_max_in_flight", "2")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    row = page.locator("#result_list tbody tr", has_text=NAME)
    expect(row.locator(".field-next_run .pir-pacing")).to_have_text("cap 2 · 30m")
    assert_no_horizontal_scroll(page)
    # Its row is no taller than the others (three lines at most): ten rows still fit the screen.
    heights = page.locator("#result_list tbody tr").filter(has_not_text=NAME).evaluate_all(
        "rows => rows.map(row => row.getBoundingClientRect().height)"
    )
    assert heights
    assert row.bounding_box()["height"] <= max(heights) + 0.5, heights

    # Delete it.
    row.locator("th a").click()
    page.click("a.deletelink")
    page.click("input[type=submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was deleted successfully")
    expect(page.locator("#result_list")).not_to_contain_text(NAME)
