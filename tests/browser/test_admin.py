"""The plugin's admin pages in a real browser: report tasks, schedules, validation, the beat row."""

import re

from playwright.sync_api import expect

TASKS = "/admin/periodic_instructor_reports/periodicreporttask/"
SCHEDULES = "/admin/periodic_instructor_reports/periodicreportschedule/"
GRADE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
COURSE = "course-v1:edX+DemoX+Demo_Course"
# The demo's one CCX (of COURSE), made in a fresh database.
CCX = "ccx-v1:edX+DemoX+Demo_Course+ccx@1"


def shoot(page, folder, name):
    """Save a screenshot of the whole page as ``<folder>/<name>.png``."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_report_tasks_list_form_and_add(admin_page, screenshots):
    page = admin_page
    page.goto(TASKS)
    for name in ("Grade report", "Problem grade report", "Profile information report"):
        expect(page.locator("#result_list")).to_contain_text(name)
    shoot(page, screenshots, "periodic-instructor-report-tasks")

    page.click("#result_list a:text-is('Grade report')")
    expect(page.locator("#id_path")).to_have_value(GRADE_REPORT)
    shoot(page, screenshots, "periodic-instructor-report-task")

    page.goto(TASKS + "add/")
    page.fill("#id_name", "Weekly grade report")
    page.fill("#id_path", "os.system")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("os.system is not an allowed report function")

    page.fill("#id_path", GRADE_REPORT)
    page.check("#id_requires_request")
    shoot(page, screenshots, "periodic-instructor-report-task-example")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("Weekly grade report")


def test_add_schedule_with_a_new_interval_validation_and_its_beat_row(admin_page, screenshots):
    page = admin_page
    page.goto(SCHEDULES + "add/")
    expect(page.locator("#id_owner")).not_to_have_value("")  # defaults to the signed-in admin
    shoot(page, screenshots, "periodic-instructor-report-schedule")
    page.select_option("#id_task", label="Grade report")

    # A new interval through the "+" popup; saving it selects it in the form.
    with page.expect_popup() as opened:
        page.click("#add_id_interval")
    popup = opened.value
    popup.fill("#id_every", "45")
    popup.select_option("#id_period", "seconds")
    with popup.expect_event("close"):
        popup.click("input[name=_save]")
    expect(page.locator("#id_interval option:checked")).to_have_text(re.compile(r"every 45 seconds"))

    page.fill("#id_course_ids", f'["not-a-course", "{COURSE}"]')
    page.fill("#id_upload_folder_prefix", "/reports/../elsewhere/")
    page.click("input[name=_save]")
    errors = page.locator(".errorlist")
    expect(errors).to_contain_text(["“not-a-course” is not a valid course or CCX id."])
    expect(page.locator(".field-upload_folder_prefix .errorlist")).to_contain_text(
        "The upload folder prefix must be relative: remove the leading slash."
    )
    expect(page.locator(".field-upload_folder_prefix .errorlist")).to_contain_text("“..” folder")

    page.fill("#id_course_ids", f'["{COURSE}", "{CCX}"]')
    page.fill("#id_upload_folder_prefix", "weekly-reports/")
    page.select_option("#id_upload_folder_structure", "by_date")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    # Listed with its beat row...
    row = page.locator("#result_list tbody tr", has_text="weekly-reports/")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"periodic-instructor-reports-schedule-\d+ \(enabled\)"))
    shoot(page, screenshots, "periodic-instructor-report-schedules")

    # ... which exists in django-celery-beat's own admin.
    row.locator("th a, td.field-id a").first.click()
    expect(page.locator("#id_upload_folder_prefix")).to_have_value("weekly-reports/")
    shoot(page, screenshots, "periodic-instructor-report-schedule-example")
    beat_link = page.locator(".field-beat_row a")
    row_name = beat_link.inner_text().strip()
    assert row_name.startswith("periodic-instructor-reports-schedule-")
    beat_link.click()
    expect(page.locator("#id_name")).to_have_value(row_name)
    expect(page.locator("body")).to_contain_text("periodic_instructor_reports.tasks.dispatch_report_schedule")
    expect(page.locator("#id_interval option:checked")).to_have_text(re.compile(r"every 45 seconds"))
