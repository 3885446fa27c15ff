"""An administrator's password reset, end to end in a real headless Chromium (desktop and phone)."""

import pytest

from . import factories
from .browser_support import axe_violations, login, require_chromium, serve, shot

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def live(app):
    with app.app_context():
        factories.user("tara@x.test", name="Tara Trainee")
        factories.user("admin@x.test", role="admin", clinic_name=None, name="Ada Admin")
        from sqlalchemy import select

        from quizapp.extensions import db
        from quizapp.models import User

        tara = db.session.scalar(select(User).where(User.email == "tara@x.test")).id
    base, stop = serve(app)
    yield base, tara
    stop()


def test_admin_reset_then_forced_change_at_next_login(live, chromium, database_url):
    """The admin sees a one-time password; the trainee logs in with it, must choose a new one, then gets in."""
    base, tara = live
    admin = chromium.new_context(bypass_csp=True).new_page()
    login(admin, base, "admin@x.test", "Administration")
    admin.goto(f"{base}/admin/people/{tara}")
    admin.get_by_role("button", name="Reset password").click()
    secret = admin.locator("code.secret")
    expect(secret).to_be_visible()
    temporary = secret.inner_text()
    shot(admin, f"admin-password-reset-{database_url.split(':')[0]}")
    assert axe_violations(admin) == []

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True).new_page()
    phone.goto(f"{base}/auth/login")
    expect(phone.get_by_text("Ask an administrator")).to_be_visible()
    phone.get_by_label("E-mail").fill("tara@x.test")
    phone.get_by_label("Password").fill(temporary)
    phone.get_by_label("Password").press("Enter")
    expect(phone.get_by_role("heading", name="Change password")).to_be_visible()
    expect(phone.get_by_text("An administrator reset your password")).to_be_visible()
    phone.goto(f"{base}/trainee/")
    expect(phone.get_by_role("heading", name="Change password")).to_be_visible()  # nothing else opens
    phone.get_by_label("Current password").fill(temporary)
    phone.get_by_label("New password", exact=True).fill("tara-chose-this-1")
    phone.get_by_label("Repeat new password").fill("tara-chose-this-1")
    shot(phone, f"forced-password-change-phone-{database_url.split(':')[0]}")
    phone.get_by_role("button", name="Change password").click()
    expect(phone.get_by_text("Password changed")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
