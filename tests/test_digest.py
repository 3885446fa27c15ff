"""`flask digest send`: each supervisor's weekly list of trainees at risk, e-mailed through a real SMTP server."""

import datetime as dt
import email
from email import policy

import pytest

from quizapp.extensions import db
from quizapp.models import utcnow
from quizapp.services.analytics import digest
from quizapp.services.dates import add_months

from . import factories
from .test_certification import pass_bank


def days_ago(n: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(utcnow().date() - dt.timedelta(days=n), dt.time(hour))


@pytest.fixture
def clinics(app, tmp_path):
    """North: Ina inactive, Exa expiring, Cris who missed the critical items twice, and four who are not at
    risk (a new starter, one who recovered, a certified one gone quiet, a deactivated leaver). South: Zed
    inactive. East: nobody at risk. Each clinic has a supervisor; North has a deactivated one too."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        admin = factories.user("admin@x.test", role="admin", clinic_name=None)
        for clinic_name, email_address in [("North Clinic", "sup"), ("South Clinic", "far"), ("East Clinic", "east")]:
            factories.user(f"{email_address}@x.test", role="supervisor", clinic_name=clinic_name, name="Sam Supervisor")
            factories.quiz_only_programme(factories.clinic(clinic_name).id, admin)
        factories.user("gone-sup@x.test", role="supervisor", active=False)

        ina = factories.user("ina@x.test", name="Ina Inactive")
        ina.created_at, ina.last_login_at = days_ago(60), days_ago(35)
        leaver = factories.user("dee@x.test", name="Dee Deactivated", active=False)
        leaver.created_at = days_ago(90)
        factories.user("nel@x.test", name="Nel New")  # opened today: not inactive yet
        zed = factories.user("zed@x.test", name="Zed Elsewhere", clinic_name="South Clinic")
        zed.created_at = days_ago(45)
        east = factories.user("eli@x.test", name="Eli East", clinic_name="East Clinic")
        db.session.commit()
        pass_bank(east, bank, days_ago(1))

        exa = factories.user("exa@x.test", name="Exa Expiring")  # passed 23 months ago: ends in about 30 days
        pass_bank(exa, bank, dt.datetime.combine(add_months(utcnow().date(), -24) + dt.timedelta(days=30), dt.time(9)))
        quiet = factories.user("quinn@x.test", name="Quinn Certified")
        quiet.created_at = days_ago(200)
        pass_bank(quiet, bank, days_ago(100))  # certified until well after 60 days from now

        cris = factories.user("cris@x.test", name="Cris Critical")
        pass_bank(cris, bank, days_ago(3), skip_critical=True)
        pass_bank(cris, bank, days_ago(2), skip_critical=True)
        cal = factories.user("cal@x.test", name="Cal Recovered")
        pass_bank(cal, bank, days_ago(5), skip_critical=True)
        pass_bank(cal, bank, days_ago(4), skip_critical=True)
        pass_bank(cal, bank, days_ago(3))


def test_at_risk_names_each_reason_and_no_one_else(app, clinics):
    """Inactive for 30 days, expiring within 60, critical items missed twice; the others are not listed."""
    with app.app_context():
        north = factories.clinic("North Clinic")
        found = {t.name: t.reasons for t in digest.at_risk(north, utcnow().date())}
    assert sorted(found) == ["Cris Critical", "Exa Expiring", "Ina Inactive"]
    assert found["Ina Inactive"] == (f"inactive for 35 days (last active {days_ago(35):%d %b %Y})",)
    passed_on = add_months(utcnow().date(), -24) + dt.timedelta(days=30)
    ends = add_months(passed_on, 24)
    left = (ends - utcnow().date()).days
    assert found["Exa Expiring"] == (f"certification expires on {ends:%d %b %Y} ({left} days)",)
    assert found["Cris Critical"] == (
        f"missed the critical items of Tiny test bank in 2 attempts (last on {days_ago(2):%d %b %Y}), not passed since",
    )


def message(raw: str):
    return email.message_from_string(raw, policy=policy.default)


def test_digest_send_emails_each_supervisor_and_prints_what_it_sent(app, clinics, mailer):
    """North's and South's supervisors get their own clinic's list; East's has nothing to hear; output says so."""
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "east@x.test (East Clinic): no trainees at risk, nothing sent" in out
    assert "far@x.test (South Clinic): 1 trainee(s) at risk, e-mailed" in out
    assert "sup@x.test (North Clinic): 3 trainee(s) at risk, e-mailed" in out
    assert "  Ina Inactive <ina@x.test>: inactive for 35 days" in out
    assert "gone-sup" not in out
    assert out.rstrip().endswith("2 digest(s) e-mailed, 0 failed, 3 supervisor(s)")

    sent = {m["To"]: m for m in map(message, mailer.messages)}
    assert sorted(sent) == ["far@x.test", "sup@x.test"]
    north = sent["sup@x.test"]
    assert north["Subject"] == "Needlework weekly: 3 trainees at risk at North Clinic"
    body = north.get_body().get_content()
    for name in ("Ina Inactive (ina@x.test)", "Exa Expiring", "Cris Critical"):
        assert name in body
    for name in ("Nel", "Cal", "Quinn", "Dee", "Zed"):
        assert name not in body
    assert "Clinic progress: https://nw.test/supervisor/" in body
    south = sent["far@x.test"].get_body().get_content()
    assert "Zed Elsewhere" in south and "Ina" not in south
    assert sent["far@x.test"]["Subject"] == "Needlework weekly: 1 trainee at risk at South Clinic"


def test_without_mail_the_digest_is_listed_only(app, clinics):
    """No MAIL_SERVER: the lists are printed and nothing claims to be e-mailed."""
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    assert "sup@x.test (North Clinic): 3 trainee(s) at risk, listed (mail is not configured)" in result.output
    assert "0 digest(s) e-mailed" in result.output


def test_a_failed_send_is_reported_and_exits_1(app, clinics, mail_server_down):
    """A mail server that does not answer: each digest says NOT SENT, and the command fails for cron to see."""
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 1
    assert "sup@x.test (North Clinic): 3 trainee(s) at risk, NOT SENT (ConnectionRefusedError" in result.output
    assert "0 digest(s) e-mailed, 2 failed" in result.output
