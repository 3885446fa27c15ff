"""Admins manage clinics and people; what they change is in the audit log they can read."""

from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import AuditEvent, Clinic, User

from . import factories
from .conftest import Browser


def _setup(app):
    with app.app_context():
        factories.user("admin@x.test", role="admin", clinic_name=None)
        trainee = factories.user("trainee@x.test")
        factories.clinic("South Clinic")
        return trainee.id


def _admin(app) -> Browser:
    b = Browser(app.test_client())
    assert b.login("admin@x.test").status_code == 302
    return b


def _events(app, kind):
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.kind, AuditEvent.details).where(AuditEvent.kind == kind).order_by(AuditEvent.id)
        ).all()


def test_admin_creates_a_clinic_and_a_person_who_can_then_log_in(app):
    _setup(app)
    b = _admin(app)
    r = b.post_form("/admin/", {"name": "East Clinic"}, action="/admin/clinics")
    assert r.status_code == 302
    with app.app_context():
        east = db.session.scalar(select(Clinic).where(Clinic.name == "East Clinic"))
        assert east is not None
    r = b.post_form(
        "/admin/people",
        {
            "email": "New.Person@X.test",
            "name": "New Person",
            "role": "supervisor",
            "clinic": east.id,
            "password": "temporary-pass-1",
        },
    )
    assert r.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == "new.person@x.test"))
        assert (person.role, person.clinic_id) == ("supervisor", east.id)
    assert [d["role"] for _, d in _events(app, "user.created")] == ["supervisor"]
    assert _events(app, "clinic.created")[0][1] == {"name": "East Clinic"}
    newcomer = Browser(app.test_client())
    assert newcomer.login("new.person@x.test", "temporary-pass-1").headers["Location"].endswith("/supervisor/")


def test_duplicate_clinic_and_email_are_refused_with_a_message(app):
    _setup(app)
    b = _admin(app)
    r = b.post_form("/admin/", {"name": "north clinic"}, action="/admin/clinics", follow_redirects=True)
    assert "already exists" in r.get_data(as_text=True)
    r = b.post_form(
        "/admin/people",
        {"email": "trainee@x.test", "name": "Copy", "role": "trainee", "clinic": 0, "password": "temporary-pass-1"},
    )
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
        assert db.session.scalar(select(func.count()).select_from(Clinic)) == 2


def test_role_change_is_audited_and_ends_the_persons_sessions(app):
    trainee_id = _setup(app)
    victim = Browser(app.test_client())
    victim.login("trainee@x.test")
    assert victim.get("/trainee/").status_code == 200
    b = _admin(app)
    with app.app_context():
        north = db.session.get(User, trainee_id).clinic_id
    r = b.post_form(f"/admin/people/{trainee_id}", {"role": "supervisor", "clinic": north, "active": "y"})
    assert r.status_code == 302
    assert _events(app, "user.role_changed") == [("user.role_changed", {"old": "trainee", "new": "supervisor"})]
    # The trainee's old session is gone: the promoted person must log in again.
    assert "/auth/login" in victim.get("/trainee/").headers["Location"]
    page = b.get("/admin/audit?kind=user.role_changed").get_data(as_text=True)
    assert "role from trainee to supervisor." in page and "Trainee" in page


def test_deactivation_blocks_login_and_admin_cannot_demote_themselves(app):
    trainee_id = _setup(app)
    b = _admin(app)
    with app.app_context():
        north = db.session.get(User, trainee_id).clinic_id
        admin_id = db.session.scalar(select(User.id).where(User.role == "admin"))
    b.post_form(f"/admin/people/{trainee_id}", {"role": "trainee", "clinic": north})  # 'active' unticked
    assert [k for k, _ in _events(app, "user.deactivated")] == ["user.deactivated"]
    assert Browser(app.test_client()).login("trainee@x.test").status_code == 401  # login refused
    r = b.post_form(
        f"/admin/people/{admin_id}", {"role": "trainee", "clinic": north, "active": "y"}, follow_redirects=True
    )
    assert "cannot remove your own administrator rights" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin_id).role == "admin"


def test_tampered_clinic_id_is_404_and_missing_csrf_is_400(app):
    trainee_id = _setup(app)
    b = _admin(app)
    r = b.post_form(f"/admin/people/{trainee_id}", {"role": "trainee", "clinic": 999999, "active": "y"})
    assert r.status_code == 200  # not one of the offered choices: the form says so, nothing changes
    r = b.client.post(f"/admin/people/{trainee_id}", data={"role": "admin", "clinic": 0, "active": "y"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.get(User, trainee_id).role == "trainee"


def test_audit_log_filters_by_kind_prefix_and_clinic_and_pages(app):
    _setup(app)
    for _ in range(3):
        Browser(app.test_client()).login("trainee@x.test", "wrong-password")
    b = _admin(app)
    page = b.get("/admin/audit?kind=login.").get_data(as_text=True)
    assert page.count("Failed login for trainee@x.test.") >= 3 and " logged in." in page  # sentences, not codes
    assert "<code>" not in page and "{'" not in page
    with app.app_context():
        south = db.session.scalar(select(Clinic.id).where(Clinic.name == "South Clinic"))
    page = b.get(f"/admin/audit?clinic={south}").get_data(as_text=True)
    assert "0 events" in page
    assert b.get("/admin/audit?page=-1").status_code == 400
    assert b.get("/admin/audit?clinic=abc").status_code == 400


def test_audit_page_escapes_hostile_details(app):
    _setup(app)
    Browser(app.test_client()).login("<script>alert(1)</script>@x.test", "wrong-password")
    page = _admin(app).get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_audit_log_reads_as_sentences_with_names(app):
    """Rule changes and moves between clinics name the banks and clinics, never their ids."""
    from quizapp.services.certification import evaluation, programmes

    trainee_id = _setup(app)
    b = _admin(app)
    with app.app_context():
        south = db.session.scalar(select(Clinic).where(Clinic.name == "South Clinic"))
        south_id = south.id
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        trainee = db.session.get(User, trainee_id)
        programme = evaluation.programme_for(trainee.clinic_id)
        programmes.update_programme(
            programme,
            admin,
            require_all_banks=False,
            bank_marks={},
            validity_months=12,
            sessions_required=3,
            region_minimums={},
            critical_subtopic_ids=set(),
            critical_min=None,
        )
    b.post_form(f"/admin/people/{trainee_id}", {"role": "trainee", "clinic": south_id, "active": "y"})
    page = b.get("/admin/audit").get_data(as_text=True)
    assert "changed the certification rules:" in page and "supervised sessions required 20 → 3" in page
    assert "from North Clinic to South Clinic" in page
