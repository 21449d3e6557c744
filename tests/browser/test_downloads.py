"""
A report's download link as the people it keeps out: someone signed in without the course's data
permission gets 403, someone not signed in is sent to the login page. (The superuser's download is
in the schedule flow.)
"""

import re
from urllib.parse import unquote

from playwright.sync_api import expect

from tests.browser.helpers import RUN_COURSES, USERS, reload_until


def a_download_link(page):
    """Return the path of a generated report's download link, from the run course list."""
    page.goto(RUN_COURSES + "?outcome__exact=generated")
    reload_until(page, lambda p: p.locator("a.pir-download").count() > 0, what="a generated report")
    return page.locator("a.pir-download").first.get_attribute("href")


def test_kept_out_without_the_course_s_data_permission(admin_page, sign_in):
    link = a_download_link(admin_page)
    assert re.fullmatch(r"/periodic-reports/download/\d+/", link), link
    # A learner account, made by the admin; not staff, no role in any course.
    admin_page.goto(USERS + "add/")
    admin_page.fill("#id_username", "curious-learner")
    admin_page.fill("#id_password1", "a-long-passphrase-42")
    admin_page.fill("#id_password2", "a-long-passphrase-42")
    admin_page.click("input[name=_save]")
    expect(admin_page.locator(".messagelist")).to_contain_text("was added successfully")

    learner = sign_in("curious-learner", "a-long-passphrase-42", login_url="/login/")
    response = learner.goto(link)
    assert response.status == 403
    expect(learner.locator("body")).to_have_text("You may not have the reports of this course.")


def test_anonymous_is_sent_to_the_login_page(admin_page, anonymous_page):
    link = a_download_link(admin_page)
    response = anonymous_page.goto(link)
    assert response.status == 200
    assert unquote(anonymous_page.url).endswith("/login/?next=" + link), anonymous_page.url
    expect(anonymous_page.locator("#id_username")).to_be_visible()
