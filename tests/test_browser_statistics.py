"""Question statistics, calibration and standard setting in a real headless Chromium, with axe-core."""

import random

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, Bank, User
from quizapp.services.analytics import calibration, decision_quality, standard_setting

from . import factories
from .browser_support import AXE, axe_violations, login, require_chromium, serve, shot
from .test_calibration import cohort

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def world(app, tmp_path):
    """A calibrated tiny bank (16 first attempts), a supervisor, an admin, and the admin's ratings."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        bank = db.session.scalar(select(Bank))
        cohort(bank, 16, "North Clinic", seed=5)
        sup = factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None, name="Ada Admin")
        factories.quiz_only_programme(sup.clinic_id, admin)
        for scope in (None, sup.clinic_id):
            outcome = calibration.calibrate(bank, scope)
            decision_quality.assess(outcome.run, trainees=50)
        items = standard_setting.live_items(bank)
        rng = random.Random(2)
        standard_setting.rate(admin, bank, {i.revision_id: rng.randrange(50, 90) for i in items})
        return {"clinic": sup.clinic_id, "items": [i.revision_id for i in items]}


@pytest.fixture
def site(app, world):
    base, stop = serve(app)
    yield base
    stop()


def test_supervisor_reads_statistics_and_rates_questions(site, world, chromium, database_url):
    """The statistics page shows n, intervals and the gate; the calibration page its estimates; the
    supervisor rates every question and the panel's recommendation appears."""
    leg = "pg" if database_url.startswith("postgresql") else "sqlite"
    page = chromium.new_context().new_page()
    login(page, site, "sup@x.test", "Clinic progress · North Clinic")
    page.goto(f"{site}/supervisor/items?bank=tiny&revisions=all")
    expect(page.get_by_role("columnheader", name="Mean item score (partial credit)")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Answered / shown")).to_be_visible()
    expect(page.locator("table.items")).to_contain_text("not enough responses yet (n = ")
    expect(page.locator("p.lead")).to_contain_text("95% bootstrap interval")
    shot(page, f"statistics-items-{leg}")

    page.get_by_role("link", name="Calibration").first.click()
    expect(page.get_by_role("heading", name="Calibration · Tiny test bank")).to_be_visible()
    expect(page.locator("table.items")).to_contain_text("t-single")
    expect(page.get_by_role("heading", name="Decision quality at the pass mark")).to_have_count(0)
    shot(page, f"statistics-calibration-{leg}")

    page.get_by_role("link", name="Standard setting").click()
    expect(page.get_by_text("No recommendation yet")).to_be_visible()
    page.get_by_role("link", name="Rate the questions").click()
    boxes = page.get_by_role("spinbutton")
    expect(boxes).to_have_count(6)
    for n in range(6):
        boxes.nth(n).fill(str(60 + 5 * n))
    page.get_by_role("button", name="Save ratings").click()
    expect(page.get_by_text("6 ratings saved.")).to_be_visible()
    expect(page.get_by_text("Recommended pass mark:")).to_be_visible()
    expect(page.get_by_role("button", name="Adopt this pass mark for the clinic")).to_have_count(0)
    shot(page, f"statistics-standards-{leg}")


def test_admin_sees_decision_quality_and_adopts_the_pass_mark(site, world, chromium, database_url, app):
    """The pooled calibration with decision quality; adopting the recommendation updates the programme."""
    with app.app_context():
        bank = db.session.scalar(select(Bank))
        sup = db.session.scalar(select(User).where(User.email == "sup@x.test"))
        standard_setting.rate(sup, bank, dict.fromkeys(world["items"], 70))
        expected = standard_setting.aggregate(bank, world["clinic"]).recommended
    page = chromium.new_context().new_page()
    login(page, site, "admin@x.test", "Administration")
    page.goto(f"{site}/supervisor/calibration?clinic={world['clinic']}&bank=tiny&scope=all")
    expect(page.get_by_role("heading", name="Decision quality at the pass mark")).to_be_visible()
    expect(page.get_by_text("would get the same pass or fail on a second random form")).to_be_visible()
    page.goto(f"{site}/supervisor/standards?clinic={world['clinic']}&bank=tiny")
    expect(page.get_by_text(f"Recommended pass mark: {expected}%")).to_be_visible()
    page.get_by_role("button", name="Adopt this pass mark for the clinic").click()
    expect(page.get_by_text(f"Pass mark {expected}% adopted for Tiny test bank")).to_be_visible()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "pass_mark.adopted"))
        assert event.details["after"] == expected and event.clinic_id == world["clinic"]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `make test` (npm ci in tests/axe)")
def test_statistics_pages_have_no_serious_accessibility_violations(site, world, chromium, database_url):
    """axe-core finds no serious or critical violation on the statistics, calibration and standard-setting pages."""
    if database_url.startswith("postgresql"):
        pytest.skip("markup does not depend on the database: one leg is enough")
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    found = {}
    clinic = world["clinic"]
    pages = {
        ("sup@x.test", "Clinic progress · North Clinic"): [
            "/supervisor/items?bank=tiny&revisions=all",
            "/supervisor/calibration?bank=tiny",
            "/supervisor/standards?bank=tiny",
            "/supervisor/standards/tiny/rate",
        ],
        ("admin@x.test", "Administration"): [
            f"/supervisor/items?clinic={clinic}&bank=tiny&scope=all",
            f"/supervisor/calibration?clinic={clinic}&bank=tiny&scope=all",
            f"/supervisor/standards?clinic={clinic}&bank=tiny",
        ],
    }
    for (email, heading), urls in pages.items():
        context.clear_cookies()
        login(page, site, email, heading)
        for url in urls:
            page.goto(site + url)
            found[url] = axe_violations(page)
    context.close()
    problems = {url: v for url, v in found.items() if v}
    assert not problems, problems
    assert len(found) == 7
