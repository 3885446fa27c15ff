"""The session form's date defaults to today in the trainee's clinic's time zone, and that date is accepted."""

import datetime as dt
import re

import pytest

from quizapp.clinic_time import today_for
from quizapp.extensions import db
from quizapp.services.certification import supervised_sessions

from . import factories
from .conftest import Browser

# UTC+14 and UTC-11: 25 hours apart, so their dates always differ.
AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"


@pytest.fixture
def trainees(app):
    """One trainee in each of three clinics far from UTC."""
    with app.app_context():
        for email, clinic, zone in [
            ("ahead@x.test", "Line Islands Clinic", AHEAD),
            ("behind@x.test", "Samoa Clinic", BEHIND),
            ("auckland@x.test", "Auckland Clinic", "Pacific/Auckland"),
        ]:
            factories.clinic(clinic).timezone = zone
            db.session.commit()
            factories.user(email, clinic_name=clinic)


def default_date(app, email: str) -> tuple[dt.date, set[dt.date]]:
    """The form's default date, and the clinic's dates around the request (midnight may pass during it)."""
    zone = {"ahead": AHEAD, "behind": BEHIND, "auckland": "Pacific/Auckland"}[email.split("@")[0]]
    b = Browser(app.test_client())
    b.login(email)
    before = today_for(zone)
    html = b.get("/trainee/sessions/new").get_data(as_text=True)
    after = today_for(zone)
    value = re.search(r'name="session_date"[^>]*value="([0-9-]+)"', html).group(1)
    return dt.date.fromisoformat(value), {before, after}


def test_session_date_defaults_to_today_in_the_clinics_zone(app, trainees):
    """Kiritimati, Pago Pago and Auckland trainees each see their own clinic's date; the first two always differ."""
    ahead, ahead_expected = default_date(app, "ahead@x.test")
    behind, behind_expected = default_date(app, "behind@x.test")
    auckland, auckland_expected = default_date(app, "auckland@x.test")
    assert ahead in ahead_expected and behind in behind_expected and auckland in auckland_expected
    assert ahead > behind


def test_the_default_date_is_accepted_when_the_clinic_is_a_day_ahead_of_utc(app, trainees):
    """Logging with the default date in a clinic already in tomorrow (UTC's terms) is not 'in the future'."""
    b = Browser(app.test_client())
    b.login("ahead@x.test")
    date, _ = default_date(app, "ahead@x.test")
    r = b.post_form(
        "/trainee/sessions/new",
        {"session_date": date.isoformat(), "region": "lumbopelvic", "muscles": "gluteus medius", "safety_notes": ""},
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def test_future_is_judged_by_the_clinics_date(app, trainees):
    """At 20:00 UTC on 30 November it is 1 December in Auckland: the 1st is accepted, the 2nd is the future."""
    with app.app_context():
        trainee = factories.user("a2@x.test", clinic_name="Auckland Clinic")
        evening = dt.datetime(2026, 11, 30, 20, 0)
        logged = supervised_sessions.log_session(
            trainee, dt.date(2026, 12, 1), "lumbopelvic", "gluteus medius", "", now=evening
        )
        assert logged.session_date == dt.date(2026, 12, 1)
        with pytest.raises(supervised_sessions.PracticeLogError, match="future"):
            supervised_sessions.log_session(
                trainee, dt.date(2026, 12, 2), "lumbopelvic", "gluteus medius", "", now=evening
            )
