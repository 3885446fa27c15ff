"""/verify and the clinic settings in a real headless Chromium, with axe-core on every new page."""

import datetime as dt

import pytest

from quizapp.models import utcnow
from quizapp.services.certification import evaluation

from . import factories, images
from .browser_support import AXE, axe_violations, login, require_chromium, serve, shot
from .test_certification import pass_bank

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def world(app, tmp_path):
    """A certified trainee of North Clinic and an admin."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("cara@x.test", name="Cara Certified")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None, name="Ada Admin")
        factories.quiz_only_programme(trainee.clinic_id, admin)
        pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=2))
        code = evaluation.refresh(trainee).certificate.code
        return {"code": code, "clinic": trainee.clinic_id, "trainee": trainee.id}


@pytest.fixture
def site(app, world):
    base, stop = serve(app)
    yield base
    stop()


def leg_of(database_url: str) -> str:
    return "pg" if database_url.startswith("postgresql") else "sqlite"


def test_verify_box_typed_pasted_and_wrong(site, world, chromium, database_url):
    """A visitor types a code (with stray spaces), pastes a whole link, and mistypes one: each answer is on the page."""
    leg = leg_of(database_url)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{site}/verify")
    box = page.get_by_role("textbox", name="Verification code")
    expect(box).to_be_focused()
    box.fill(f"  {world['code']}  ")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    result = page.locator("section.result")
    expect(result).to_contain_text("Cara Certified")
    expect(result).to_contain_text("Dry-needling certification programme of North Clinic")
    expect(result.get_by_role("listitem")).to_contain_text(["Pass Tiny test bank (at least 60%)"])
    expect(result).to_contain_text("Valid until")
    shot(page, f"verify-valid-{leg}")

    box = page.get_by_role("textbox", name="Verification code")
    box.fill(world["code"][:-1] + ("A" if world["code"][-1] != "A" else "B"))
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("alert")).to_contain_text("No certificate has this code")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("section.result")).to_have_count(0)
    shot(page, f"verify-not-found-{leg}")

    box.fill(f"https://needlework.example.org/verify/{world['code']}")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    context.close()


def test_admin_sets_zone_signatory_and_logo_and_the_logo_shows_under_csp(site, world, chromium, database_url):
    """From the admin home to the settings page: the choices are saved and the uploaded logo loads despite the CSP."""
    context = chromium.new_context()
    page = context.new_page()
    login(page, site, "admin@x.test", "Administration")
    page.get_by_role("link", name="Time zone, signatory, logo").click()
    expect(page.get_by_role("heading", name="Clinic settings · North Clinic")).to_be_visible()
    page.get_by_label("Time zone").select_option("Pacific/Auckland")
    page.get_by_label("Signatory's name").fill("Dr Ann Lee")
    page.get_by_label("Signatory's title").fill("Clinical lead")
    page.get_by_label("Logo (PNG or JPEG").set_input_files(
        files=[{"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": images.png(300, 100)}]
    )
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("time zone UTC → Pacific/Auckland")
    logo = page.get_by_role("img", name="Current logo of North Clinic")
    expect(logo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", logo.element_handle()) == 300
    expect(page.get_by_label("Time zone")).to_have_value("Pacific/Auckland")
    shot(page, f"admin-clinic-settings-{leg_of(database_url)}")

    page.get_by_label("Logo (PNG or JPEG").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": b"nope"}]
    )
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#logo-errors")).to_contain_text("not a PNG or JPEG image")
    expect(page.get_by_label("Logo (PNG or JPEG")).to_have_attribute("aria-invalid", "true")
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `make test` (npm ci in tests/axe)")
def test_new_pages_have_no_serious_accessibility_violations(site, world, chromium, database_url):
    """axe-core finds nothing serious on /verify (empty, a result, not found), clinic settings and the person page."""
    if database_url.startswith("postgresql"):
        pytest.skip("markup does not depend on the database: one leg is enough")
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for url in ["/verify", f"/verify/{world['code']}", "/verify?code=not-a-code"]:
        page.goto(site + url)
        found[url] = axe_violations(page)
    login(page, site, "admin@x.test", "Administration")
    for url in [f"/admin/clinics/{world['clinic']}/settings", f"/admin/people/{world['trainee']}"]:
        page.goto(site + url)
        found[url] = axe_violations(page)
    page.goto(f"{site}/admin/clinics/{world['clinic']}/settings")
    page.get_by_label("Logo (PNG or JPEG").set_input_files(
        files=[{"name": "x.png", "mimeType": "image/png", "buffer": b"nope"}]
    )
    page.get_by_role("button", name="Save settings").click()
    found["settings with an error"] = axe_violations(page)
    context.close()
    problems = {url: v for url, v in found.items() if v}
    assert not problems, problems
