"""
Deleting what has run, at 1366×900, as an operator does: schedules from the list action, a report
task whose schedule ran, and a schedule's owner in the user admin. The run history stays.
"""

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    COURSE,
    RUNS,
    SCHEDULES,
    TASKS,
    USERS,
    pick_course,
    reload_until,
)


def add_schedule(page, name, task="Grade report"):
    """Add a schedule of the demo's sample course through its page; return its page's URL."""
    page.goto(SCHEDULES + "add/")
    page.fill("#id_name", name)
    page.select_option("#id_task", label=task)
    page.select_option("#id_interval", label="every 60 seconds")
    pick_course(page, "Demo", COURSE)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    return page.url


def run_now_and_wait(page):
    """Press Run now on the schedule's page, wait until the run is in its recent runs; return its beat row."""
    page.click("#pir-run-now")
    expect(page.locator(".messagelist")).to_contain_text("Queued a run of 1 schedule.")
    reload_until(page, lambda p: p.locator(".field-recent_runs table a").count() > 0,
                 what="the schedule's run")
    return page.locator(".field-beat_row a").inner_text().split()[0]


def assert_beat_row_gone(page, name):
    page.goto(f"/admin/django_celery_beat/periodictask/?q={name}")
    expect(page.locator("#changelist")).to_contain_text("0 periodic tasks")


def test_delete_schedules_that_ran_with_the_list_action(admin_page):
    page = admin_page
    add_schedule(page, "To delete from the list")
    beat_row = run_now_and_wait(page)
    page.goto(SCHEDULES)
    page.locator("#result_list tbody tr", has_text="To delete from the list").locator(
        "input.action-select").check()
    page.select_option("select[name=action]", "delete_selected")
    page.click("button[name=index]")
    note = page.locator(".pir-deletion-note")
    expect(note).to_contain_text("This deletes the celery beat row of 1 schedule")
    expect(note).to_contain_text(re.compile(r"Its 1 run stays|Their \d+ runs stay"))
    page.click("input[type=submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("Successfully deleted 1")
    expect(page.locator("#result_list")).not_to_contain_text("To delete from the list")
    assert_beat_row_gone(page, beat_row)
    page.goto(RUNS)
    expect(page.locator("#result_list")).to_contain_text("To delete from the list (deleted)")


def test_delete_a_report_task_whose_schedule_ran(admin_page):
    page = admin_page
    page.goto(TASKS + "add/")
    page.fill("#id_name", "Grades, to be retired")
    page.fill("#id_path", "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    add_schedule(page, "Of a retired report", task="Grades, to be retired")
    beat_row = run_now_and_wait(page)

    page.goto(TASKS)
    page.locator("#result_list a", has_text="Grades, to be retired").click()
    page.click("a.deletelink")
    expect(page.locator("#content")).to_contain_text("Of a retired report")
    note = page.locator(".pir-deletion-note")
    expect(note).to_contain_text("This deletes the celery beat row of 1 schedule")
    page.click("input[type=submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was deleted successfully")
    page.goto(SCHEDULES)
    expect(page.locator("#result_list")).not_to_contain_text("Of a retired report")
    assert_beat_row_gone(page, beat_row)
    page.goto(RUNS)
    expect(page.locator("#result_list")).to_contain_text("Of a retired report (deleted)")


def test_delete_the_owner_of_a_schedule_that_ran(admin_page):
    page = admin_page
    # A second superuser, made as a person makes one.
    page.goto(USERS + "add/")
    page.fill("#id_username", "leaving-colleague")
    page.fill("#id_password1", "a-long-passphrase-41")
    page.fill("#id_password2", "a-long-passphrase-41")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.check("#id_is_staff")
    page.check("#id_is_superuser")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    user_id = page.locator("#result_list tbody tr", has_text="leaving-colleague").locator(
        "input.action-select").get_attribute("value")

    # Their schedule, which runs once.
    page.goto(SCHEDULES + "add/")
    page.fill("#id_name", "Owned by a leaving colleague")
    page.select_option("#id_task", label="Grade report")
    page.select_option("#id_interval", label="every 60 seconds")
    pick_course(page, "Demo", COURSE)
    page.fill("#id_owner", user_id)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    beat_row = run_now_and_wait(page)

    # Deleting the user deletes the schedule and its beat row; the run stays.
    page.goto(USERS)
    page.locator("#result_list a", has_text="leaving-colleague").click()
    page.click("a.deletelink")
    expect(page.locator("#content")).to_contain_text("Owned by a leaving colleague")
    page.click("input[type=submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was deleted successfully")
    page.goto(SCHEDULES)
    expect(page.locator("#result_list")).not_to_contain_text("Owned by a leaving colleague")
    assert_beat_row_gone(page, beat_row)
    page.goto(RUNS)
    expect(page.locator("#result_list")).to_contain_text("Owned by a leaving colleague (deleted)")
