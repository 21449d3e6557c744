"""
A copied report and a wrapped one, as the demo schedules them, at 1366×900: their runs end with a
file in the schedule's folder, and the copied one also names the platform's own copy.
"""

import re

from playwright.sync_api import expect

from tests.browser.helpers import RUN_COURSES, SCHEDULES, reload_until


def open_latest_run(page, schedule):
    page.goto(SCHEDULES)
    page.locator("#result_list a", has_text=schedule).click()
    reload_until(page, lambda p: "generated" in p.locator(".field-recent_runs").inner_text(),
                 what=f"a generated run of {schedule}")
    page.locator(".field-recent_runs table tr", has_text="generated").locator("a").first.click()


def test_a_copied_report_lands_in_the_schedule_s_folder(admin_page):
    page = admin_page
    open_latest_run(page, "Anonymized ids by date")
    link = page.locator(".field-course_table a.pir-download").first
    expect(link).to_have_text(re.compile(r"_anonymized_ids_[0-9a-f]{16}_\d{4}-\d\d-\d\d-\d{4}\.csv$"))
    page.goto(RUN_COURSES + "?outcome__exact=generated")
    row = page.locator("#result_list tbody tr", has_text="Anonymized ids by date").first
    row.locator("th a").click()
    expect(page.locator(".field-file_path")).to_contain_text(re.compile(r"periodic-reports/copied/\d{4}-\d\d-\d\d/"))
    expect(page.locator(".field-platform_path")).to_contain_text(re.compile(r"[0-9a-f]{40}/\S+_anonymized_ids_"))


def test_a_wrapped_report_is_generated_and_downloads(admin_page):
    page = admin_page
    open_latest_run(page, "Issued certificates in one folder")
    link = page.locator(".field-course_table a.pir-download").first
    expect(link).to_have_text(re.compile(r"edX_DemoX_Demo_Course_issued_certificates_.*\.csv"))
    with page.expect_download() as started:
        link.click()
    content = open(started.value.path(), encoding="utf-8").read()
    assert "verified" in content and "honor" in content, content
