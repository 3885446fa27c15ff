"""An admin sets a clinic's time zone, its certificates' signatory and its logo (checked by Pillow)."""

import io

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, Clinic
from quizapp.services.people import clinic_settings

from . import factories, images
from .conftest import Browser


@pytest.fixture
def clinic_id(app):
    with app.app_context():
        factories.user("admin@x.test", role="admin", clinic_name=None)
        factories.user("trainee@x.test")
        return factories.clinic().id


@pytest.fixture
def admin(app, clinic_id) -> Browser:
    b = Browser(app.test_client())
    assert b.login("admin@x.test").status_code == 302
    return b


def settings_url(clinic_id: int) -> str:
    return f"/admin/clinics/{clinic_id}/settings"


def save(admin: Browser, clinic_id: int, logo: tuple[bytes, str] | None = None, **fields):
    """Post the settings form as a browser would: every field, the logo as a file part."""
    data = {"timezone": "UTC", "signatory_name": "", "signatory_title": "", **fields}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return admin.post_form(settings_url(clinic_id), data, content_type="multipart/form-data")


def clinic(app, clinic_id: int) -> Clinic:
    with app.app_context():
        found = db.session.get(Clinic, clinic_id)
        _ = found.logo  # deferred: load it before the session closes
        db.session.expunge(found)
        return found


def events(app, kind: str) -> list[dict]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.details).where(AuditEvent.kind == kind)))


def test_settings_page_offers_time_zones_and_opens_on_the_clinics_own(admin, clinic_id):
    """The page lists IANA zones grouped by area and preselects the clinic's zone (UTC for a new clinic)."""
    html = admin.get(settings_url(clinic_id)).get_data(as_text=True)
    assert '<optgroup label="Pacific">' in html and ">Pacific/Auckland</option>" in html
    assert '<option selected value="UTC">' in html or '<option value="UTC" selected>' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Etc/GMT+5" not in html  # legacy names whose sign reads backwards are not offered


def test_admin_sets_time_zone_and_signatory_and_it_is_audited(app, admin, clinic_id):
    """Saving stores the zone and signatory, says what changed, and records one audit event."""
    r = save(
        admin, clinic_id, timezone="Pacific/Auckland", signatory_name="Dr Ann Lee", signatory_title="Clinical lead"
    )
    assert r.status_code == 302
    saved = clinic(app, clinic_id)
    assert (saved.timezone, saved.signatory_name, saved.signatory_title) == (
        "Pacific/Auckland",
        "Dr Ann Lee",
        "Clinical lead",
    )
    page = admin.get(settings_url(clinic_id)).get_data(as_text=True)
    assert "time zone UTC → Pacific/Auckland" in page and "signatory Dr Ann Lee" in page
    assert events(app, "clinic.settings_changed") == [
        {"changes": ["time zone UTC → Pacific/Auckland", "signatory Dr Ann Lee", "signatory's title Clinical lead"]}
    ]
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "changed the clinic&#39;s settings: time zone UTC → Pacific/Auckland; signatory Dr Ann Lee" in audit
    # Saving again unchanged changes nothing and records nothing.
    save(admin, clinic_id, timezone="Pacific/Auckland", signatory_name="Dr Ann Lee", signatory_title="Clinical lead")
    assert len(events(app, "clinic.settings_changed")) == 1
    # Clearing the signatory removes it.
    save(admin, clinic_id, timezone="Pacific/Auckland")
    assert clinic(app, clinic_id).signatory_name is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"timezone": "Etc/GMT+5"}, "Not a valid choice"),
        ({"signatory_name": "Dr Ann\u202eeeL"}, "invisible or control characters"),
        ({"signatory_title": "x" * 121}, "longer than 120 characters"),
    ],
)
def test_bad_settings_are_refused_with_a_form_error(app, admin, clinic_id, fields, message):
    """An unknown or legacy zone, a spoofing character or an overlong title: the form says why, nothing is saved."""
    r = save(admin, clinic_id, **fields)
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert clinic(app, clinic_id).timezone == "UTC" and not events(app, "clinic.settings_changed")


def test_a_clinic_keeps_a_zone_no_longer_offered(app, admin, clinic_id):
    """A clinic set to a legacy name (e.g. by a script) can still be saved unchanged."""
    with app.app_context():
        db.session.get(Clinic, clinic_id).timezone = "GB"
        db.session.commit()
    assert save(admin, clinic_id, timezone="GB", signatory_name="Dr Ann Lee").status_code == 302
    assert clinic(app, clinic_id).timezone == "GB"


@pytest.mark.parametrize(
    "upload, mime",
    [
        ((images.png(), "logo.png"), "image/png"),
        ((images.jpeg(), "logo.jpeg"), "image/jpeg"),
        ((images.png(), "logo.jpg"), "image/png"),  # the name plays no part: Pillow says PNG
        ((images.png(2000, 30), "wide.png"), "image/png"),  # exactly at the pixel limit
    ],
)
def test_logo_upload_is_stored_with_the_type_pillow_found(app, admin, clinic_id, upload, mime):
    """PNG and JPEG are accepted whatever the file is called, stored as uploaded, and served to the admin."""
    assert save(admin, clinic_id, logo=upload).status_code == 302
    saved = clinic(app, clinic_id)
    assert (saved.logo, saved.logo_mime) == (upload[0], mime)
    assert "logo added" in events(app, "clinic.settings_changed")[0]["changes"][0]
    served = admin.get(f"/admin/clinics/{clinic_id}/logo")
    assert served.status_code == 200 and served.mimetype == mime and served.data == upload[0]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    page = admin.get(settings_url(clinic_id)).get_data(as_text=True)
    assert f'src="/admin/clinics/{clinic_id}/logo"' in page and "Remove the logo" in page


@pytest.mark.parametrize(
    "upload, message",
    [
        ((b"%PDF-1.4 not a logo", "logo.png"), "not a PNG or JPEG image"),
        ((b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg"), "not a PNG or JPEG image"),
        ((images.gif(), "logo.gif"), "not a PNG or JPEG image"),
        ((images.png()[:60], "cut.png"), "not a PNG or JPEG image"),
        ((images.jpeg()[:-200], "cut.jpg"), "not a PNG or JPEG image"),
        ((b"", "empty.png"), "The file is empty"),
        ((images.png(padding=210_000), "big.png"), "larger than 200 KB"),
        ((images.png(2001, 10), "wide.png"), "2001×10 pixels; the limit is 2000"),
        ((images.png(10_000, 9_000, mode="1"), "bomb.png"), "too many pixels"),
    ],
    ids=["pdf", "svg", "gif", "truncated-png", "truncated-jpeg", "empty", "over-200-KB", "too-wide", "bomb"],
)
def test_logo_refusals_are_form_errors_and_change_nothing(app, admin, clinic_id, upload, message):
    """Anything Pillow cannot read whole as PNG/JPEG, or too large in bytes or pixels, is refused on the form."""
    r = save(admin, clinic_id, logo=upload, signatory_name="Dr Ann Lee")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and message in html
    assert 'aria-invalid="true"' in html
    saved = clinic(app, clinic_id)
    assert saved.logo is None and saved.signatory_name is None  # nothing of the form was saved
    assert not events(app, "clinic.settings_changed")


def test_a_body_over_the_apps_limit_names_the_logo(app, admin, clinic_id):
    """Over MAX_CONTENT_LENGTH the request is refused before the form: the 413 page says it was the logo."""
    r = save(admin, clinic_id, logo=(images.png(padding=300_000), "huge.png"))
    assert r.status_code == 413 and "The logo file is larger than this site accepts" in r.get_data(as_text=True)
    assert clinic(app, clinic_id).logo is None


def test_logo_replace_and_remove(app, admin, clinic_id):
    """A new file replaces the logo; ticking Remove takes it off; ticking both is refused."""
    save(admin, clinic_id, logo=(images.png(), "one.png"))
    save(admin, clinic_id, logo=(images.jpeg(), "two.jpg"))
    assert clinic(app, clinic_id).logo_mime == "image/jpeg"
    r = save(admin, clinic_id, logo=(images.png(), "three.png"), remove_logo="y")
    assert r.status_code == 200 and "not both" in r.get_data(as_text=True)
    assert save(admin, clinic_id, remove_logo="y").status_code == 302
    assert clinic(app, clinic_id).logo is None
    assert admin.get(f"/admin/clinics/{clinic_id}/logo").status_code == 404
    changes = [e["changes"] for e in events(app, "clinic.settings_changed")]
    assert changes[1][0].startswith("logo replaced (JPEG, 120×40 pixels") and changes[2] == ["logo removed"]


def test_only_admins_see_settings_and_logo(app, clinic_id, admin):
    """A trainee of the clinic gets 404 for its settings page and its logo, even when there is a logo."""
    save(admin, clinic_id, logo=(images.png(), "logo.png"))
    trainee = Browser(app.test_client())
    trainee.login("trainee@x.test")
    assert trainee.get(settings_url(clinic_id)).status_code == 404
    assert trainee.get(f"/admin/clinics/{clinic_id}/logo").status_code == 404


def test_admin_home_links_each_clinics_settings(admin, clinic_id):
    """The clinics table shows each clinic's zone and links to its settings."""
    html = admin.get("/admin/").get_data(as_text=True)
    assert f'href="/admin/clinics/{clinic_id}/settings"' in html and "(UTC)" in html


def test_check_logo_reads_the_header_before_decoding(ctx):
    """The limits hold for the service itself, whoever calls it."""
    with pytest.raises(clinic_settings.SettingsError, match="too many pixels"):
        clinic_settings.check_logo(images.png(10_000, 9_000, mode="1"))
    logo = clinic_settings.check_logo(images.png(300, 100))
    assert (logo.mime, logo.width, logo.height) == ("image/png", 300, 100)


def test_a_post_without_its_csrf_token_is_400_and_changes_nothing(app, admin, clinic_id):
    """CSRFProtect refuses it before the view runs (the view has no check of its own)."""
    before = clinic(app, clinic_id).timezone
    r = admin.client.post(settings_url(clinic_id), data={"timezone": "Pacific/Auckland"})
    assert r.status_code == 400
    assert clinic(app, clinic_id).timezone == before
