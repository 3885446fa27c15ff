"""A trainee's whole quiz in a real headless Chromium: autosave, reload, a dropped session, review."""

import pytest

from . import factories
from .browser_support import login as login_as
from .browser_support import (
    require_chromium,
    serve,
    shot,
)

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def live_server(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("trainee@x.test", name="Tess Trainee")
    base, stop = serve(app)
    yield base
    stop()


def login(page, base):
    login_as(page, base, "trainee@x.test", "My quizzes")


def test_take_quiz_with_keyboard_reload_resume_and_review(live_server, chromium, database_url):
    """Keyboard answers autosave without reload, survive a reload and a new session, and end in a review."""
    leg = "pg" if database_url.startswith("postgresql") else "sqlite"
    errors: list[str] = []
    context = chromium.new_context()
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server)
    shot(page, f"trainee-home-{leg}")
    page.get_by_role("link", name="Start").click()
    page.get_by_role("button", name="Start an attempt").click()
    expect(page.get_by_text("Question 1 of 5")).to_be_visible()

    first_option = page.locator("input[name=answer]").first
    first_option.focus()
    page.keyboard.press("Space")
    expect(page.locator("[data-save-status]")).to_have_text("Answer saved.")
    shot(page, f"question-{leg}")
    page.reload()
    expect(page.locator("input[name=answer]").first).to_be_checked()

    page.get_by_role("button", name="Save and next").press("Enter")
    expect(page.get_by_text("Question 2 of 5")).to_be_visible()
    url_q2 = page.url
    context.close()  # the connection drops, the browser is gone

    context = chromium.new_context()
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server)
    page.get_by_role("link", name="Resume").click()
    assert page.url == url_q2
    page.get_by_role("link", name="Question 1, answered").click()
    expect(page.locator("input[name=answer]").first).to_be_checked()

    for number in range(1, 6):
        page.goto(url_q2.rsplit("/", 1)[0] + f"/{number}")
        page.locator("input[name=answer]").last.check()
        expect(page.locator("[data-save-status]")).to_have_text("Answer saved.")
    page.get_by_role("button", name="Save and finish").click()
    expect(page.get_by_role("heading", name="Ready to submit?")).to_be_visible()
    expect(page.get_by_text("You have answered 5 of 5 questions.")).to_be_visible()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", name="Review: Tiny test bank")).to_be_visible()
    expect(page.locator(".rationale").first).to_contain_text("Why:")
    expect(page.locator(".refs").first).to_contain_text("Reference")
    shot(page, f"review-{leg}")
    assert not errors, errors  # CSP refusals, script errors and failed loads (a missing icon too)
    context.close()
