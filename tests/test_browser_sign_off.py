"""Bulk sign-off in a real headless Chromium: tick several logs, press one button, each is signed off once."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import AuditEvent, utcnow
from quizapp.services.certification import supervised_sessions

from . import factories
from .browser_support import AXE, axe_violations, login, require_chromium, serve, shot

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import expect  # noqa: E402


def day(n: int) -> dt.date:
    return utcnow().date() - dt.timedelta(days=n)


@pytest.fixture
def world(app):
    """North: Will with three logs waiting, Tess with one, a supervisor; South: Eve's log."""
    with app.app_context():
        will = factories.user("will@x.test", name="Will Working")
        tess = factories.user("tess@x.test", name="Tess Trainee")
        factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        eve = factories.user("eve@x.test", clinic_name="South Clinic", name="Eve Elsewhere")
        for trainee, n, region, muscles in [
            (will, 3, "lumbopelvic", "Gluteus medius"),
            (will, 2, "cervicothoracic", "Upper trapezius"),
            (will, 1, "hip-lower-limb", "Vastus lateralis"),
            (tess, 2, "shoulder-upper-limb", "Infraspinatus"),
            (eve, 1, "lumbopelvic", "Multifidus"),
        ]:
            supervised_sessions.log_session(trainee, day(n), region, muscles, "No adverse events")


@pytest.fixture
def site(app, world):
    base, stop = serve(app)
    yield base
    stop()


def sign_off_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.kind == "session.signed_off"))


def test_a_supervisor_signs_off_several_logs_at_once(app, site, chromium, database_url):
    """The menu says 4 waiting; three ticked logs and a double-clicked button: three sign-offs, one left."""
    leg = "pg" if database_url.startswith("postgresql") else "sqlite"
    context = chromium.new_context(bypass_csp=True)  # axe is injected; the app's CSP forbids that
    page = context.new_page()
    login(page, site, "sup@x.test", "Clinic progress · North Clinic")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Sessions to review 4 waiting")).to_be_visible()
    menu.get_by_role("link", name=re.compile("^Sessions to review")).click()
    expect(page.get_by_role("heading", name="Sessions to review · North Clinic")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(4)
    expect(page.get_by_text("Multifidus")).to_have_count(0)
    if AXE.exists():
        assert axe_violations(page) == []

    for name, n in [("Will Working", 3), ("Will Working", 1), ("Tess Trainee", 2)]:
        page.get_by_role("checkbox", name=f"Select for sign-off ({name}, {day(n):%d %b %Y})").check()
    shot(page, f"supervisor-bulk-sign-off-{leg}")
    page.get_by_role("button", name="Sign off selected sessions").dblclick()  # an impatient double click
    expect(menu.get_by_role("link", name="Sessions to review 1 waiting")).to_be_visible()
    expect(page.locator("p.flash").first).to_contain_text(
        re.compile(r"3 sessions signed off \(Tess Trainee: 1; Will Working: 2\)|Already reviewed")
    )
    expect(page.get_by_role("checkbox")).to_have_count(1)
    expect(page.get_by_role("checkbox", name=f"Select for sign-off (Will Working, {day(2):%d %b %Y})")).to_be_visible()
    assert sign_off_events(app) == 3, "each log signed off (and audited) once, however many posts arrived"
    if AXE.exists():
        assert axe_violations(page) == []
    shot(page, f"supervisor-bulk-signed-off-{leg}")

    context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, site, "will@x.test", "My quizzes")
    notice = page.get_by_role("region", name="Since your last visit")
    expect(notice.get_by_text("Signed off")).to_have_count(2)
    expect(notice).to_contain_text("Vastus lateralis")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    if AXE.exists():
        assert axe_violations(page) == []
    shot(page, f"trainee-home-since-last-visit-390-{leg}")
    context.close()
