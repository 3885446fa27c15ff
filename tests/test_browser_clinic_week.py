"""A clinic's week in a real headless Chromium: the defects found in #16, fixed and looked at."""

import datetime as dt

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import User, utcnow

from . import factories
from .browser_support import axe_violations, login, require_chromium, serve, shot
from .test_certification import pass_bank

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def week(app, tmp_path):
    """A trainee who reached the pass mark twice but missed a critical item, one fresh trainee, staff."""
    with app.app_context():
        text = (factories.DATA / "tiny_bank.yaml").read_text().replace("cooldown_minutes: 30", "cooldown_minutes: 0")
        bank = factories.tiny_bank(tmp_path, text)
        missed = factories.user("mia@x.test", name="Mia Missed")
        factories.user("fay@x.test", name="Fay Fresh")
        factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        factories.user("admin@x.test", role="admin", clinic_name=None, name="Ada Admin")
        for hours in (5, 3):
            attempt = pass_bank(missed, bank, utcnow() - dt.timedelta(hours=hours), skip_critical=True)
            assert attempt.score >= attempt.pass_mark and not attempt.passed
        ids = {u.email: u.id for u in db.session.scalars(select(User))}
    base, stop = serve(app)
    yield base, ids
    stop()


def _leg(database_url: str) -> str:
    return "pg" if database_url.startswith("postgresql") else "sqlite"


def test_a_missed_critical_item_is_never_shown_as_a_pass(week, chromium, database_url):
    """My quizzes, My certification, the dashboard and the drill-down all say the critical item was missed."""
    base, ids = week
    page = chromium.new_context(bypass_csp=True).new_page()
    login(page, base, "mia@x.test", "My quizzes")
    expect(page.get_by_text("not passed: critical item missed")).to_be_visible()
    page.goto(f"{base}/trainee/certification")
    expect(page.get_by_text("not passed: critical item missed")).to_be_visible()
    supervisor = chromium.new_context(bypass_csp=True).new_page()
    login(supervisor, base, "sup@x.test", "Clinic progress")
    expect(supervisor.get_by_text("not passed: critical item missed")).to_be_visible()
    supervisor.goto(f"{base}/supervisor/trainees/{ids['mia@x.test']}")
    expect(supervisor.get_by_text("not passed: critical item missed").first).to_be_visible()
    expect(supervisor.get_by_role("heading", name="What Mia Missed keeps getting wrong")).to_be_visible()
    expect(supervisor.locator("table.weak-spots tbody tr").first).to_be_visible()
    shot(supervisor, f"drilldown-weak-spots-{_leg(database_url)}")
    assert axe_violations(supervisor) == []


def test_enter_saves_and_goes_forward_with_and_without_javascript(week, chromium):
    """On question 2, choosing with the keyboard and pressing Enter goes to question 3, never back."""
    base, _ = week
    for javascript in (True, False):
        context = chromium.new_context(java_script_enabled=javascript)
        page = context.new_page()
        factories_email = "fay@x.test"
        login(page, base, factories_email, "My quizzes")
        page.goto(f"{base}/trainee/banks/tiny")
        start = page.get_by_role("button", name="Start an attempt")
        if start.count():
            start.click()
        else:
            page.get_by_role("link", name="Resume").first.click()
        page.goto(page.url.split("/questions/")[0] + "/questions/2")
        expect(page.get_by_text("Question 2 of 5")).to_be_visible()
        option = page.locator("input[name=answer]").first
        option.focus()
        page.keyboard.press("Space")
        option.press("Enter")
        expect(page.get_by_text("Question 3 of 5")).to_be_visible()
        context.close()


def test_every_trainee_page_fits_a_phone(week, chromium, database_url):
    """At 390 x 844 no trainee page scrolls sideways; Start and Resume are on screen."""
    base, _ = week
    page = chromium.new_context(viewport=PHONE, bypass_csp=True).new_page()
    login(page, base, "mia@x.test", "My quizzes")
    shot(page, f"trainee-home-phone-{_leg(database_url)}")
    for path in (
        "/trainee/",
        "/trainee/banks/tiny",
        "/trainee/certification",
        "/trainee/practice",
        "/trainee/sessions/new",
        "/auth/password",
    ):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide"
        assert axe_violations(page) == [], path
    page.goto(f"{base}/trainee/banks/tiny")
    page.get_by_role("button", name="Start an attempt").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "question page"
    page.goto(f"{base}/trainee/")
    resume = page.get_by_role("link", name="Resume")
    expect(resume).to_be_in_viewport()


def test_admin_saves_a_person_unchanged_and_the_audit_log_reads_as_sentences(week, chromium, database_url):
    """Saving a trainee's page with nothing changed keeps the clinic; the audit log fits 1280 px."""
    base, ids = week
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
    login(page, base, "admin@x.test", "Administration")
    page.goto(f"{base}/admin/people/{ids['fay@x.test']}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Nothing changed.")).to_be_visible()
    page.goto(f"{base}/admin/audit")
    expect(page.get_by_text("Ada Admin logged in.").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, f"audit-log-{_leg(database_url)}")
    assert axe_violations(page) == []


def test_a_trainee_practises_exactly_their_weak_spots(week, chromium):
    """The practice page lists what the trainee keeps getting wrong; "Practise these" serves one of them."""
    base, _ = week
    page = chromium.new_context(bypass_csp=True).new_page()
    login(page, base, "mia@x.test", "My quizzes")
    page.goto(f"{base}/trainee/practice")
    stems = page.locator("table.weak-spots tbody td:first-child").all_inner_texts()
    assert stems
    page.get_by_role("button", name="Practise these").click()
    shown = page.locator("legend").inner_text()
    assert any(stem.rstrip(".…")[:40] in shown for stem in stems), shown
