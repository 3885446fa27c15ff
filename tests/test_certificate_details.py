"""A certificate a clinic would hand out: the clinic's signatory and logo, the person's registration number."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, Certificate, Clinic, User, utcnow
from quizapp.services.certification import evaluation
from quizapp.services.people import clinic_settings

from . import factories, images
from .conftest import Browser
from .test_certification import pass_bank


@pytest.fixture
def certified(app, tmp_path):
    """A certified trainee of North Clinic, and an admin; returns the certificate's code."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test", name="Tess Trainee")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None)
        factories.quiz_only_programme(trainee.clinic_id, admin)
        pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=1))
        return evaluation.refresh(trainee).certificate.code


def admin_browser(app) -> Browser:
    b = Browser(app.test_client())
    assert b.login("admin@x.test").status_code == 302
    return b


def person_url(app, email: str) -> str:
    with app.app_context():
        return f"/admin/people/{db.session.scalar(select(User.id).where(User.email == email))}"


def edit_person(admin: Browser, url: str, **fields):
    """The person form as the page fills it in, with ``fields`` changed."""
    with admin.client.application.app_context():
        user = db.session.get(User, int(url.rsplit("/", 1)[1]))
        data = {"role": user.role, "clinic": user.clinic_id, "active": "y", "registration_number": ""}
    return admin.post_form(url, {**data, **fields})


def pdf_text_and_images(body: bytes) -> tuple[str, int]:
    pages = PdfReader(io.BytesIO(body)).pages
    return "".join(page.extract_text() for page in pages), sum(len(page.images) for page in pages)


def test_admin_sets_a_registration_number_without_ending_sessions(app, certified):
    """The number is saved (trimmed, spaces collapsed), shown on the page and audited; the trainee stays logged in."""
    trainee = Browser(app.test_client())
    trainee.login("t@x.test")
    admin = admin_browser(app)
    url = person_url(app, "t@x.test")
    assert 'name="registration_number"' in admin.get(url).get_data(as_text=True)
    r = edit_person(admin, url, registration_number="  CORU   PT012345 ")
    assert r.status_code == 302
    page = admin.get(url).get_data(as_text=True)
    assert "Saved: registration number → CORU PT012345." in page and 'value="CORU PT012345"' in page
    with app.app_context():
        assert db.session.scalar(select(User.registration_number).where(User.email == "t@x.test")) == "CORU PT012345"
        details = db.session.scalar(select(AuditEvent.details).where(AuditEvent.kind == "user.registration_changed"))
        assert details == {"old": None, "new": "CORU PT012345"}
    assert "set Tess Trainee&#39;s registration number to CORU PT012345." in admin.get("/admin/audit").get_data(
        as_text=True
    )
    assert trainee.get("/trainee/").status_code == 200  # no rights changed: the session lives on
    # Saving unchanged changes nothing; clearing removes it.
    edit_person(admin, url, registration_number="CORU PT012345")
    assert "Nothing changed." in admin.get(url).get_data(as_text=True)
    edit_person(admin, url)
    with app.app_context():
        assert db.session.scalar(select(User.registration_number).where(User.email == "t@x.test")) is None


@pytest.mark.parametrize(
    "number, message",
    [
        ("PH<script>", "letters, digits, spaces and - . / : only"),
        ("PH\u200b12345", "invisible or control characters"),
        ("9" * 41, "longer than 40 characters"),
    ],
)
def test_bad_registration_numbers_are_refused(app, certified, number, message):
    """Markup, invisible characters and overlong numbers are refused on the form; nothing is saved."""
    admin = admin_browser(app)
    r = edit_person(admin, person_url(app, "t@x.test"), registration_number=number)
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.registration_number).where(User.email == "t@x.test")) is None


def test_pdf_prints_signatory_logo_and_registration_number(app, certified):
    """With the clinic's settings and a registration number, the PDF carries all three."""
    admin = admin_browser(app)
    with app.app_context():
        clinic_id = db.session.scalar(select(Clinic.id).where(Clinic.name == "North Clinic"))
    r = admin.post_form(
        f"/admin/clinics/{clinic_id}/settings",
        {
            "timezone": "Europe/Dublin",
            "signatory_name": "Dr Ann Lee",
            "signatory_title": "Clinical lead",
            "logo": (io.BytesIO(images.png(600, 200)), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert edit_person(admin, person_url(app, "t@x.test"), registration_number="PT012345").status_code == 302

    trainee = Browser(app.test_client())
    trainee.login("t@x.test")
    response = trainee.get(f"/trainee/certificates/{certified}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, image_count = pdf_text_and_images(response.data)
    assert "Tess Trainee" in text and "Registration number PT012345" in text
    assert "Dr Ann Lee" in text and "Clinical lead, North Clinic" in text
    assert image_count == 1  # the logo (the QR code is drawn as vector shapes)


def test_pdf_without_settings_has_no_signatory_logo_or_number(app, certified):
    """A clinic that set nothing gets the plain certificate: no empty signature line text, no image."""
    trainee = Browser(app.test_client())
    trainee.login("t@x.test")
    text, image_count = pdf_text_and_images(trainee.get(f"/trainee/certificates/{certified}.pdf").data)
    assert "Registration number" not in text and "Clinical lead" not in text and image_count == 0


@pytest.mark.parametrize(
    "logo",
    [images.jpeg(400, 300), images.png(300, 300, mode="1"), images.png(64, 64, mode="RGBA")],
    ids=["jpeg", "one-bit-png", "transparent-png"],
)
def test_pdf_draws_each_kind_of_accepted_logo(app, certified, logo):
    """Every image check_logo accepts can be drawn on the certificate."""
    with app.app_context():
        checked = clinic_settings.check_logo(logo)
        clinic = db.session.scalar(select(Clinic))
        clinic.logo, clinic.logo_mime = checked.data, checked.mime
        db.session.commit()
    trainee = Browser(app.test_client())
    trainee.login("t@x.test")
    response = trainee.get(f"/trainee/certificates/{certified}.pdf")
    assert response.status_code == 200 and pdf_text_and_images(response.data)[1] == 1


def test_pdf_issue_date_is_the_clinics_date(app, certified):
    """Issued late in the UTC evening, the certificate of a clinic in Auckland says the next day."""
    with app.app_context():
        cert = db.session.scalar(select(Certificate))
        cert.issued_at = dt.datetime(2026, 11, 30, 20, 0)  # 09:00 on 1 December in Auckland
        db.session.scalar(select(Clinic)).timezone = "Pacific/Auckland"
        db.session.commit()
    trainee = Browser(app.test_client())
    trainee.login("t@x.test")
    text, _ = pdf_text_and_images(trainee.get(f"/trainee/certificates/{certified}.pdf").data)
    assert "Issued: 01 December 2026" in text
