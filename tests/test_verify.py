"""The public check: a box for a code, typed or pasted; the programme, the requirements met, status and dates."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Certificate, Clinic, User, utcnow
from quizapp.public.forms import code_from_text
from quizapp.services.certification import evaluation

from . import factories
from .test_certification import pass_bank


@pytest.fixture
def code(app, tmp_path) -> str:
    """A valid certificate of Tess Trainee (North Clinic, quizzes only)."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test", name="Tess Trainee")
        supervisor = factories.user("s@x.test", role="supervisor")
        factories.quiz_only_programme(trainee.clinic_id, supervisor)
        pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=1))
        return evaluation.refresh(trainee).certificate.code


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_box_is_there_with_nothing_to_report(client):
    """/verify alone is a search box with its label and no message."""
    r = client.get("/verify")
    html = text(r)
    assert r.status_code == 200
    assert '<form method="get" action="/verify"' in html and '<label for="code">Verification code</label>' in html
    assert 'name="code" value=""' in html and "No certificate" not in html and 'aria-invalid="true"' not in html


def test_a_typed_code_shows_programme_requirements_status_and_dates(client, code):
    """Surrounding spaces are trimmed; the result names the person, clinic, programme, each requirement and the dates."""
    r = client.get("/verify", query_string={"code": f"  {code} "})
    html = text(r)
    assert r.status_code == 200 and "Valid certificate" in html
    assert "<dt>Name</dt><dd>Tess Trainee</dd>" in html and "<dt>Clinic</dt><dd>North Clinic</dd>" in html
    assert "<dt>Programme</dt><dd>Dry-needling certification programme of North Clinic</dd>" in html
    assert "<dt>Status</dt><dd>Valid</dd>" in html
    assert "Requirements met</h3>" in html and "Pass Tiny test bank (at least 60%)" in html
    for label in ("Requirements met on", "Issued", "Valid until"):
        assert f"<dt>{label}</dt>" in html
    assert f'name="code" value="{code}"' in html  # the box keeps the code, ready for another


@pytest.mark.parametrize(
    "pasted",
    [
        "https://needlework.example.org/verify/{code}",
        "http://localhost/verify/{code}/?utm=qr#top",
        "{code_spaced}",
    ],
    ids=["link", "link-with-query", "spaced"],
)
def test_a_pasted_link_or_spaced_code_finds_the_certificate(client, code, pasted):
    """Pasting the whole link from the certificate, or a code copied with a space in it (a wrapped line), works too."""
    value = pasted.format(code=code, code_spaced=f"{code[:16]}  {code[16:]}")
    r = client.get("/verify", query_string={"code": value})
    assert r.status_code == 200 and "Valid certificate" in text(r)


@pytest.mark.parametrize("path", ["/verify?code=not-a-real-code", "/verify/not-a-real-code"])
def test_an_unknown_code_is_a_message_on_the_same_page_not_an_error_page(client, code, path):
    """404 with the box still there, holding the code, marked invalid, and saying what to check."""
    r = client.get(path)
    html = text(r)
    assert r.status_code == 404
    assert "No certificate has this code" in html and "capital and small letters are different" in html
    assert 'value="not-a-real-code"' in html and 'aria-invalid="true"' in html and 'role="alert"' in html
    assert "<h1>Certificate check</h1>" in html and "Not found" not in html  # not the generic error page


def test_a_code_in_the_wrong_case_is_not_found(client, code):
    """Codes are case-sensitive (192 random bits, URL-safe base64): no forgiving match that widens guesses."""
    assert client.get("/verify", query_string={"code": code.swapcase()}).status_code == 404


def test_an_empty_box_asks_for_a_code(client):
    """Submitting nothing asks for the code, with no error page."""
    r = client.get("/verify?code=+")
    assert r.status_code == 200 and "Type or paste the verification code" in text(r)


def test_a_revoked_certificate_says_so_and_when(app, client, code):
    """Revoked: the verdict, the revocation date, and the requirements as met when issued; never the reason."""
    with app.app_context():
        cert = db.session.scalar(select(Certificate))
        evaluation.revoke(cert, db.session.scalar(select(User).where(User.role == "supervisor")), "Private reason")
    html = text(client.get(f"/verify/{code}"))
    assert '<h2 id="verdict">Revoked</h2>' in html and "<dt>Revoked</dt>" in html
    assert "Requirements met when it was issued" in html and "Private reason" not in html


def test_dates_are_the_clinics_and_the_registration_number_is_shown(app, client, code):
    """A visitor sees the clinic's dates (Auckland: the next day after a UTC evening) and the person's number."""
    with app.app_context():
        cert = db.session.scalar(select(Certificate))
        cert.issued_at = dt.datetime(2026, 11, 30, 20, 0)
        cert.earned_at = dt.datetime(2026, 11, 30, 19, 0)
        db.session.scalar(select(Clinic)).timezone = "Pacific/Auckland"
        db.session.scalar(select(User).where(User.email == "t@x.test")).registration_number = "PT012345"
        db.session.commit()
    html = text(client.get(f"/verify/{code}"))
    assert "<dt>Issued</dt><dd>01 December 2026</dd>" in html
    assert "<dt>Requirements met on</dt><dd>01 December 2026</dd>" in html
    assert "<dt>Registration number</dt><dd>PT012345</dd>" in html


def test_code_from_text():
    """The box's filter: whitespace anywhere removed, a link reduced to its code, anything else kept as typed."""
    assert code_from_text(None) is None
    assert code_from_text(" ab c\td ") == "abcd"
    assert code_from_text("https://x.org/verify/AbC-_9?x=1") == "AbC-_9"
    assert code_from_text("https://x.org/verify/AbC/") == "AbC"
    assert code_from_text("not a link/") == "notalink/"
