"""
A person's whole path through a schedule at 1366×900: create it with the course picker and the folder
preview, run it now, look at the run and download its report, change it, pause and resume it, delete it.
"""

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    RUNS,
    SCHEDULES,
    admin_form_errors,
    assert_in_view,
    pick_course,
    reload_until,
    shoot,
)

NAME = "Weekly grades of Reports 101"


def test_create_run_look_download_change_and_delete(admin_page, screenshots):
    page = admin_page
    page.goto(SCHEDULES)
    page.click("text=Add periodic report schedule")
    expect(page.locator("#id_owner")).not_to_have_value("")  # the signed-in admin

    # A mistake first: no courses, a folder that climbs out. Explained, nothing saved.
    page.fill("#id_name", NAME)
    page.select_option("#id_task", label="Grade report")
    with page.expect_popup() as opened:
        page.click("#add_id_interval")
    popup = opened.value
    popup.fill("#id_every", "1")
    popup.select_option("#id_period", "hours")
    with popup.expect_event("close"):
        popup.click("input[name=_save]")
    expect(page.locator("#id_interval option:checked")).to_have_text(re.compile("every hour"))
    page.fill("#id_upload_folder_prefix", "/reports/../elsewhere/")
    page.click("input[name=_save]")
    errors = admin_form_errors(page)
    assert "Choose the courses" in errors
    assert "must be relative" in errors

    # Courses found by their names, CCXs under their course; the preview shows where each file goes
    # as the folder is typed.
    page.locator(".field-course_ids .select2-selection").click()
    page.locator(".field-course_ids .select2-search__field").press_sequentially("Demonstration")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text([
        "course-v1:edX+DemoX+Demo_Course — Demonstration Course",
        re.compile(r"↳ CCX ccx-v1:edX\+DemoX\+Demo_Course\+ccx@\d+"),
    ])
    page.keyboard.press("Escape")
    pick_course(page, "Reports 101", "course-v1:OpenedX+Reports101+2026 — Reports 101")
    page.select_option("#id_upload_folder_structure", "by_date")
    page.fill("#id_upload_folder_prefix", "weekly")
    preview = page.locator("#pir-folder-preview")
    expect(preview).to_contain_text("The prefix has no trailing slash")
    expect(preview).to_contain_text(re.compile(r"weekly\d{4}-\d\d-\d\d/"))
    page.fill("#id_upload_folder_prefix", "weekly/")
    expect(preview).not_to_contain_text("no trailing slash")
    expect(preview).to_contain_text(re.compile(r"weekly/\d{4}-\d\d-\d\d/"))
    expect(preview).to_contain_text(re.compile(r"OpenedX_Reports101_2026_grade_report_[0-9a-f]{16}_\d{4}-\d\d-\d\d-\d{4}\.csv"))
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    expect(page.locator(".errorlist")).to_have_count(0)
    page.locator("fieldset", has_text="Upload folder").first.scroll_into_view_if_needed()
    shoot(page, screenshots, "periodic-instructor-report-schedule")
    page.evaluate("window.scrollTo(0, 0)")

    # Its page: the beat row, the next run times, the buttons at the top.
    beat_row = re.compile(r"periodic-instructor-reports-schedule-\d+")
    expect(page.locator(".field-beat_row a")).to_have_text(beat_row)
    expect(page.locator(".field-upcoming_runs li")).to_have_count(5)
    assert_in_view(page, page.locator("#pir-run-now"))
    assert_in_view(page, page.locator("#pir-pause"))

    # Run it now and wait for its report.
    page.click("#pir-run-now")
    expect(page.locator(".messagelist")).to_contain_text("Queued a run of 1 schedule.")
    reload_until(page, lambda p: "1 generated" in p.locator(".field-recent_runs").inner_text(),
                 what="the run to generate its report")
    shoot(page, screenshots, "periodic-instructor-report-schedule-example", full_page=True)

    # The run's page lists its course with the file; the superuser downloads it.
    page.locator(".field-recent_runs table a").first.click()
    expect(page.locator(".field-status")).to_contain_text("done")
    link = page.locator(".field-course_table a.pir-download")
    expect(link).to_have_text(re.compile(r"OpenedX_Reports101_2026_grade_report_.*\.csv"))
    shoot(page, screenshots, "periodic-instructor-report-run", full_page=True)
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert re.fullmatch(r"OpenedX_Reports101_2026_grade_report_.*\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0][:2] == ["Student ID", "Email"], rows[0]
    assert len(rows) > 1

    # Change it: pause from its page, rename, resume.
    page.goto(SCHEDULES)
    page.locator("#result_list a", has_text=NAME).click()
    page.click("#pir-pause")
    expect(page.locator(".messagelist")).to_contain_text("Paused 1 schedule.")
    expect(page.locator("#pir-resume")).to_be_visible()
    page.fill("#id_name", NAME + " (paused)")
    page.click("input[name=_save]")
    row = page.locator("#result_list tbody tr", has_text=NAME + " (paused)")
    expect(row.locator(".field-next_run")).to_have_text("paused")
    row.locator("th a").click()
    page.click("#pir-resume")
    expect(page.locator(".messagelist")).to_contain_text("Resumed 1 schedule.")

    # Delete it from its page: the confirmation says what happens to the beat row and the history.
    page.click("a.deletelink")
    note = page.locator(".pir-deletion-note")
    expect(note).to_contain_text("This deletes the celery beat row of 1 schedule")
    expect(note).to_contain_text("Its 1 run stays in the run history")
    page.click("input[type=submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was deleted successfully")
    expect(page.locator("#result_list")).not_to_contain_text(NAME)

    # Its run is still in the history, under the name it ran under (renaming relabels no past run).
    page.goto(RUNS)
    kept = page.locator("#result_list tbody tr", has_text=NAME)
    expect(page.locator("#result_list")).not_to_contain_text(NAME + " (paused)")
    expect(kept).to_have_count(1)
    expect(kept.locator(".field-schedule_link a")).to_have_count(0)
