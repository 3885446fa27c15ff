"""The supervisor's screens in a real headless Chromium, and axe-core on every main page."""

import csv
import datetime as dt
import io

import pytest

from quizapp.models import utcnow
from quizapp.services.certification import evaluation, supervised_sessions

from . import factories
from .browser_support import (
    AXE,
    axe_violations,
    login,
    require_chromium,
    serve,
    shot,
)
from .test_certification import pass_bank

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def world(app, tmp_path):
    """A clinic with a certified trainee, one still working, a pending practice log, and an admin."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        certified = factories.user("cara@x.test", name="Cara Certified")
        working = factories.user("will@x.test", name="Will Working")
        factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None, name="Ada Admin")
        factories.user("elsewhere@x.test", clinic_name="South Clinic", name="Eve Elsewhere")
        factories.quiz_only_programme(certified.clinic_id, admin)
        pass_bank(certified, bank, utcnow() - dt.timedelta(hours=2))
        evaluation.refresh(certified)
        pass_bank(working, bank, utcnow() - dt.timedelta(hours=1), right=False)
        log = supervised_sessions.log_session(
            working, utcnow().date(), "lumbopelvic", "Gluteus medius", "Tolerated well"
        )
        return {"trainee": working.id, "session": log.id, "clinic": working.clinic_id}


@pytest.fixture
def site(app, world):
    base, stop = serve(app)
    yield base
    stop()


def test_supervisor_dashboard_drill_down_and_csv_export(site, chromium, database_url):
    """One screen with every trainee; a click into a trainee; the CSV download holds the same people."""
    leg = "pg" if database_url.startswith("postgresql") else "sqlite"
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, site, "sup@x.test", "Clinic progress · North Clinic")
    table = page.locator("table.dashboard")
    expect(table.get_by_role("link", name="Cara Certified")).to_be_visible()
    expect(table.get_by_role("link", name="Will Working")).to_be_visible()
    expect(table).not_to_contain_text("Eve Elsewhere")
    expect(page.locator("ul.summary")).to_contain_text("1 Certified")
    shot(page, f"supervisor-dashboard-{leg}")

    page.get_by_role("searchbox").fill("will")
    page.get_by_role("button", name="Filter").click()
    expect(table.get_by_role("link", name="Will Working")).to_be_visible()
    expect(table).not_to_contain_text("Cara Certified")

    table.get_by_role("link", name="Will Working").click()
    expect(page.get_by_role("heading", name="Will Working", exact=True)).to_be_visible()
    shot(page, f"supervisor-trainee-{leg}")
    page.go_back()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="this table").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert [r for r in rows if "Will Working" in r.values()], rows
    assert not [r for r in rows if "Eve Elsewhere" in r.values()]

    page.goto(f"{site}/supervisor/sessions")
    expect(page.get_by_text("Gluteus medius")).to_be_visible()
    page.get_by_role("button", name="Sign off").first.click()
    expect(page.get_by_role("status")).to_have_text("Session signed off.")
    context.close()


PAGES = {
    "trainee": (
        "will@x.test",
        "My quizzes",
        ["/trainee/", "/trainee/banks/tiny", "/trainee/certification", "/trainee/sessions/new", "/auth/password"],
    ),
    "supervisor": (
        "sup@x.test",
        "Clinic progress · North Clinic",
        ["/supervisor/", "/supervisor/trainees/{trainee}", "/supervisor/items", "/supervisor/sessions"],
    ),
    "admin": (
        "admin@x.test",
        "Administration",
        ["/admin/", "/admin/people", "/admin/audit", "/admin/clinics/{clinic}/programme"],
    ),
}


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `make test` (npm ci in tests/axe)")
def test_main_pages_have_no_serious_accessibility_violations(site, world, chromium, database_url):
    """axe-core finds no serious or critical violation on the login page, the quiz and every role's pages."""
    if database_url.startswith("postgresql"):
        pytest.skip("markup does not depend on the database: one leg is enough")
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    page.goto(f"{site}/auth/login")
    found["/auth/login"] = axe_violations(page)
    page.goto(f"{site}/no-such-page")
    found["404"] = axe_violations(page)
    for email, heading, urls in PAGES.values():
        context.clear_cookies()
        login(page, site, email, heading)
        for url in urls:
            page.goto(site + url.format(**world))
            found[url] = axe_violations(page)
    # The quiz itself: a question, the finish page and the review.
    context.clear_cookies()
    login(page, site, "will@x.test", "My quizzes")
    page.goto(f"{site}/trainee/banks/tiny")
    page.get_by_role("button", name="Start an attempt").click()
    found["question"] = axe_violations(page)
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Save and finish").click()
    found["finish"] = axe_violations(page)
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", name="Review: Tiny test bank")).to_be_visible()
    found["review"] = axe_violations(page)
    context.close()
    problems = {url: v for url, v in found.items() if v}
    assert not problems, problems
    assert len(found) == 3 + sum(len(u) for _, _, u in PAGES.values()) + 2


def test_the_dashboard_shows_every_requirement_on_a_1280_px_screen(app, chromium, database_url):
    """With the four shipped banks (long titles) the dashboard's table fits a 1280 px window: the
    supervisor sees every trainee against every requirement without scrolling sideways."""
    if database_url.startswith("postgresql"):
        pytest.skip("markup does not depend on the database: one leg is enough")
    from pathlib import Path

    from quizapp.services.banks import bank_import

    with app.app_context():
        bank_import.import_banks(Path(__file__).resolve().parent.parent / "question_banks")
        factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        factories.user("will@x.test", name="Will Working")
    base, stop = serve(app)
    try:
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        login(page, base, "sup@x.test", "Clinic progress · North Clinic")
        expect(page.locator("table.dashboard th", has_text="Supervised sessions")).to_be_visible()
        scroll, visible = page.evaluate(
            "(e => [e.scrollWidth, e.clientWidth])(document.querySelector('.table-scroll'))"
        )
        shot(page, "supervisor-dashboard-1280")
        assert scroll <= visible, f"the table needs {scroll} px in a {visible} px box"
    finally:
        stop()
