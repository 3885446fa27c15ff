"""Certification: every status transition, rules, windows, sign-off, certificates, verification."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, AuditEvent, Certificate, ReminderSent, SupervisedSession, User, utcnow
from quizapp.services.certification import evaluation, programmes, reminders, supervised_sessions
from quizapp.services.certification.evaluation import Status
from quizapp.services.dates import add_months
from quizapp.services.quiz import attempts

from . import factories
from .conftest import Browser


def pass_bank(user, bank, when, right=True, skip_critical=False):
    """Take the bank through the real engine at time ``when``; answer everything right (or wrong)."""
    attempt = attempts.start_or_resume(user, bank, now=when, seed=when.second + when.minute)
    for aq in attempt.questions:
        correct = {c.id for c in aq.revision.choices if c.is_correct}
        if not right or (skip_critical and aq.critical):
            correct = {cid for cid in aq.choice_order if cid not in correct}
            if aq.revision.type != "multiple":
                correct = set(list(correct)[:1])
        attempts.save_answer(attempt.id, aq.position, correct, now=when)
    attempts.submit(attempt.id, now=when)
    return db.session.get(Attempt, attempt.id)


def sign_sessions(trainee, supervisor, n, region="cervicothoracic"):
    for _ in range(n):
        s = supervised_sessions.log_session(trainee, utcnow().date(), region, "Upper trapezius", "No adverse events")
        supervised_sessions.review(s, supervisor, True, "")


@pytest.fixture
def clinic_setup(ctx, tmp_path):
    bank = factories.tiny_bank(tmp_path)
    trainee = factories.user("t@x.test")
    supervisor = factories.user("s@x.test", role="supervisor")
    admin = factories.user("a@x.test", role="admin", clinic_name=None)
    programme = evaluation.programme_for(trainee.clinic_id)
    programmes.update_programme(
        programme,
        admin,
        require_all_banks=True,
        bank_marks={},
        validity_months=24,
        sessions_required=2,
        region_minimums={"cervicothoracic": 1},
        critical_subtopic_ids=set(),
        critical_min=None,
    )
    return bank, trainee, supervisor, admin


def test_default_programme_is_created_with_the_clinic_rules(ctx):
    """A clinic's first programme: all banks, 24 months, 20 sessions."""
    clinic = factories.clinic("New Clinic")
    p = evaluation.programme_for(clinic.id)
    assert (p.require_all_banks, p.validity_months, p.sessions_required) == (True, 24, 20)


def test_status_transitions(clinic_setup):
    """not started -> in progress -> certified -> expiring -> expired -> certified again -> revoked."""
    bank, trainee, supervisor, admin = clinic_setup
    today = utcnow().date()
    assert evaluation.status_of(trainee).status == Status.NOT_STARTED

    pass_bank(trainee, bank, utcnow() - dt.timedelta(days=1), right=False)
    result = evaluation.status_of(trainee)
    assert result.status == Status.IN_PROGRESS
    assert [r.key for r in result.missing] == ["tiny", "sessions", "cervicothoracic"]

    passed_at = utcnow() - dt.timedelta(hours=2)
    pass_bank(trainee, bank, passed_at)
    sign_sessions(trainee, supervisor, 2)
    result = evaluation.refresh(trainee)
    assert result.status == Status.CERTIFIED and not result.missing
    assert result.expires_on == add_months(passed_at.date(), 24)

    days_left = (result.expires_on - today).days
    expiring_day = today + dt.timedelta(days=days_left - 60)
    assert evaluation.status_of(trainee, today=expiring_day).status == Status.EXPIRING
    assert evaluation.status_of(trainee, today=expiring_day - dt.timedelta(days=1)).status == Status.CERTIFIED
    assert evaluation.status_of(trainee, today=result.expires_on).status == Status.EXPIRED

    cert = result.certificate
    evaluation.revoke(cert, supervisor, "Unsafe technique observed")
    revoked = evaluation.status_of(trainee)
    assert revoked.status == Status.REVOKED and revoked.revoked.id == cert.id
    pass_bank(trainee, bank, utcnow() + dt.timedelta(seconds=1))  # strictly after the revocation
    again = evaluation.refresh(trainee)
    assert again.status == Status.CERTIFIED and again.certificate.id != cert.id


def test_recertification_after_expiry_issues_a_new_certificate(clinic_setup):
    """Passing again inside the window gives a new certificate when the old one ends."""
    bank, trainee, supervisor, _ = clinic_setup
    first_pass = utcnow() - dt.timedelta(days=700)
    pass_bank(trainee, bank, first_pass)
    sign_sessions(trainee, supervisor, 2)
    first = evaluation.refresh(trainee).certificate
    assert evaluation.status_of(trainee).status == Status.EXPIRING
    pass_bank(trainee, bank, utcnow() - dt.timedelta(days=1))
    later = first.expires_on + dt.timedelta(days=1)
    result = evaluation.refresh(trainee, today=later)
    assert result.status == Status.CERTIFIED and result.certificate.id != first.id
    assert result.certificate.expires_on > first.expires_on


def test_validity_window_edges(clinic_setup):
    """A pass one day inside the window counts; one day outside does not."""
    bank, trainee, supervisor, _ = clinic_setup
    sign_sessions(trainee, supervisor, 2)
    today = utcnow().date()
    inside = dt.datetime.combine(add_months(today, -24) + dt.timedelta(days=1), dt.time(9))
    pass_bank(trainee, bank, inside)
    assert evaluation.status_of(trainee, today).status in (Status.CERTIFIED, Status.EXPIRING)
    assert evaluation.status_of(trainee, today + dt.timedelta(days=1)).status != Status.CERTIFIED

    other = factories.user("o@x.test")
    sign_sessions(other, supervisor, 2)
    outside = dt.datetime.combine(add_months(today, -24) - dt.timedelta(days=1), dt.time(9))
    pass_bank(other, bank, outside)
    result = evaluation.status_of(other, today)
    assert result.status == Status.IN_PROGRESS
    assert "expired" in result.missing[0].detail


def test_high_total_with_a_failed_critical_item_fails(clinic_setup, client):
    """Every ordinary item right, a critical one wrong: not passed, and the review says why."""
    bank, trainee, *_ = clinic_setup
    attempt = pass_bank(trainee, bank, utcnow(), skip_critical=True)
    criticals = [aq for aq in attempt.questions if aq.critical]
    assert criticals, "the tiny bank's thorax sub-topic is critical"
    assert attempt.score >= 60 and attempt.passed is False
    assert evaluation.status_of(trainee).missing[0].key == "tiny"


def test_review_page_says_a_critical_item_failed(app, client, tmp_path):
    """The review states plainly when a critical item failed the attempt."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test")
        attempt = pass_bank(trainee, bank, utcnow(), skip_critical=True)
        attempt_id = attempt.id
    b = Browser(client)
    b.login("t@x.test")
    html = b.get(f"/trainee/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "a critical item was answered wrongly" in html and "Thorax" in html


def test_programme_critical_subtopic_and_rule_change(clinic_setup):
    """A clinic can make a sub-topic critical; raising requirements changes computed status."""
    bank, trainee, supervisor, admin = clinic_setup
    general = next(s for s in bank.subtopics if s.slug == "general")
    pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=1))
    sign_sessions(trainee, supervisor, 2)
    assert evaluation.refresh(trainee).status == Status.CERTIFIED

    programme = evaluation.programme_for(trainee.clinic_id)
    programmes.update_programme(
        programme,
        admin,
        require_all_banks=True,
        bank_marks={},
        validity_months=24,
        sessions_required=3,
        region_minimums={"cervicothoracic": 1},
        critical_subtopic_ids={general.id},
        critical_min=None,
    )
    result = evaluation.status_of(trainee)
    assert result.status == Status.IN_PROGRESS and [r.key for r in result.missing] == ["sessions"]
    assert db.session.scalar(select(AuditEvent.kind).where(AuditEvent.kind == "programme.changed"))

    other = factories.user("o@x.test")
    attempt = attempts.start_or_resume(other, bank, seed=3)
    general_items = [aq for aq in attempt.questions if aq.revision.subtopic_id == general.id]
    assert general_items and all(aq.critical for aq in general_items)

    programmes.update_programme(
        programme,
        admin,
        require_all_banks=True,
        bank_marks={bank.id: 100},
        validity_months=24,
        sessions_required=2,
        region_minimums={},
        critical_subtopic_ids=set(),
        critical_min=None,
    )
    assert evaluation.status_of(trainee).status == Status.CERTIFIED  # 100% pass still meets a 100 mark


def test_accommodation_time_multiplier_enforced_on_server(clinic_setup):
    """With x1.5 time an answer at 12 minutes is accepted; without it the attempt had closed."""
    bank, trainee, supervisor, _ = clinic_setup
    programmes.set_accommodation(trainee, supervisor, 1.5, 1, "Dyslexia assessment on file")
    start = utcnow()
    attempt = attempts.start_or_resume(trainee, bank, now=start, seed=1)
    assert attempt.expires_at == start + dt.timedelta(minutes=15)
    attempts.save_answer(attempt.id, 0, {attempt.questions[0].choice_order[0]}, now=start + dt.timedelta(minutes=12))
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_answer(attempt.id, 1, set(), now=start + dt.timedelta(minutes=15, seconds=1))
    assert attempts.limits_for(trainee, bank).attempt_limit == bank.attempt_limit + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "accommodation.changed"))
    assert event.details["reason"] == "Dyslexia assessment on file" and event.actor_id == supervisor.id


def test_session_log_refuses_patient_identifiers(clinic_setup):
    """A date-of-birth pattern, a phone number or a titled name is refused; nothing is saved."""
    _, trainee, *_ = clinic_setup
    for notes in ("Patient DOB 12/03/1981", "Born 4 March 1975", "Call on 0412 345 678", "Mrs Smith tolerated well"):
        with pytest.raises(supervised_sessions.PracticeLogError, match="patient-identifying"):
            supervised_sessions.log_session(trainee, utcnow().date(), "cervicothoracic", "Rhomboids", notes)
    assert db.session.scalar(select(func.count()).select_from(SupervisedSession)) == 0


def test_sign_off_permissions(app, tmp_path):
    """Own-clinic supervisor signs off; other clinic's supervisor gets 404; trainees cannot."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test")
        factories.user("s@x.test", role="supervisor")
        factories.user("far@x.test", role="supervisor", clinic_name="South Clinic")
        session_id = supervised_sessions.log_session(trainee, utcnow().date(), "lumbopelvic", "Multifidus", "").id
    url = f"/supervisor/sessions/{session_id}/review"

    far = Browser(app.test_client())
    far.login("far@x.test")
    assert far.post_form("/supervisor/", {"sign_off": "Sign off"}, action=url).status_code == 404

    own_trainee = Browser(app.test_client())
    own_trainee.login("t@x.test")
    assert own_trainee.post_form("/trainee/", {"sign_off": "Sign off"}, action=url).status_code == 404

    with app.app_context():
        assert db.session.get(SupervisedSession, session_id).status == "pending"
        trainee = db.session.scalar(select(User).where(User.email == "t@x.test"))
        with pytest.raises(supervised_sessions.PracticeLogError):
            supervised_sessions.review(db.session.get(SupervisedSession, session_id), trainee, True, "")

    own = Browser(app.test_client())
    own.login("s@x.test")
    assert own.post_form("/supervisor/sessions", {"send_back": "Return"}, action=url).status_code == 302
    with app.app_context():
        assert db.session.get(SupervisedSession, session_id).status == "pending", "returning needs a comment"
    own.post_form("/supervisor/sessions", {"sign_off": "Sign off"}, action=url)
    with app.app_context():
        s = db.session.get(SupervisedSession, session_id)
        assert s.status == "signed_off" and s.reviewed_by.email == "s@x.test"


def test_a_minimum_is_met_at_the_sign_off_that_reached_it(clinic_setup):
    """The sessions total and a region's minimum are met at the Nth sign-off in sign-off order
    (then session date, then id), whatever order the sessions were logged in; returned and
    pending sessions and other regions do not count. The clinic-wide and the one-trainee
    evaluations agree."""
    _, trainee, supervisor, admin = clinic_setup
    programmes.update_programme(
        evaluation.programme_for(trainee.clinic_id),
        admin,
        require_all_banks=True,
        bank_marks={},
        validity_months=24,
        sessions_required=3,
        region_minimums={"cervicothoracic": 2},
        critical_subtopic_ids=set(),
        critical_min=None,
    )
    logged_at, t0 = dt.datetime(2026, 11, 7, 8, 0), dt.datetime(2026, 11, 8, 9, 0)
    logged = [  # (region, session day, review: True sign off / False return / None pending, minutes after t0)
        ("cervicothoracic", 5, True, 50),
        ("lumbopelvic", 1, True, 10),
        ("cervicothoracic", 2, False, 5),
        ("cervicothoracic", 3, True, 30),
        ("shoulder-upper-limb", 4, True, 30),  # same sign-off moment: the earlier session date counts first
        ("cervicothoracic", 6, None, 0),
    ]
    for region, day, sign_off, minutes in logged:
        session = supervised_sessions.log_session(
            trainee, dt.date(2026, 11, day), region, "Upper trapezius", "No adverse events", now=logged_at
        )
        if sign_off is not None:
            comment = "" if sign_off else "Needle depth not recorded"
            supervised_sessions.review(session, supervisor, sign_off, comment, now=t0 + dt.timedelta(minutes=minutes))
    db.session.commit()
    # Sign-off order: lumbopelvic (+10), cervicothoracic day 3 (+30), shoulder day 4 (+30), cervicothoracic (+50).
    for status in (
        evaluation.status_of(trainee),
        evaluation.statuses(trainee.clinic_id, [trainee.id])[trainee.id],
    ):
        met = {r.key: r.met_at for r in status.requirements if r.kind in ("sessions", "region")}
        assert met == {
            "sessions": t0 + dt.timedelta(minutes=30),  # the third sign-off: the shoulder session
            "cervicothoracic": t0 + dt.timedelta(minutes=50),
        }


def test_certificate_is_issued_exactly_once(clinic_setup):
    """Refreshing repeatedly, or racing, never issues a second certificate for one achievement."""
    bank, trainee, supervisor, _ = clinic_setup
    pass_bank(trainee, bank, utcnow())
    sign_sessions(trainee, supervisor, 2)
    for _ in range(3):
        evaluation.refresh(trainee)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    cert = db.session.scalar(select(Certificate))
    assert len(cert.code) >= 32  # 24 random bytes = 192 bits
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "certificate.issued")
    )
    assert events == 1


def test_verification_page(app, client, tmp_path):
    """Public check: valid, revoked and expired certificates say so; unknown codes are a plain 404."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test", name="Tess Trainee")
        supervisor = factories.user("s@x.test", role="supervisor")
        factories.quiz_only_programme(trainee.clinic_id, supervisor)
        pass_bank(trainee, bank, utcnow())
        cert = evaluation.refresh(trainee).certificate
        code = cert.code
    page = client.get(f"/verify/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Valid certificate" in html and "Tess Trainee" in html and "North Clinic" in html

    with app.app_context():
        cert = db.session.scalar(select(Certificate))
        cert.expires_on = utcnow().date()
        db.session.commit()
    assert "Expired" in client.get(f"/verify/{code}").get_data(as_text=True)

    with app.app_context():
        evaluation.revoke(
            db.session.scalar(select(Certificate)),
            db.session.scalar(select(User).where(User.role == "supervisor")),
            "Audit",
        )
    assert "Revoked" in client.get(f"/verify/{code}").get_data(as_text=True)

    unknown = client.get("/verify/not-a-real-code")
    assert unknown.status_code == 404 and "No certificate has this code" in unknown.get_data(as_text=True)


def test_certificate_pdf_contains_the_code(app, client, tmp_path):
    """The PDF opens, names the trainee and carries the verification code and URL."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test", name="Tess Trainee")
        factories.quiz_only_programme(trainee.clinic_id, trainee)
        pass_bank(trainee, bank, utcnow())
        code = evaluation.refresh(trainee).certificate.code
    b = Browser(client)
    b.login("t@x.test")
    response = b.get(f"/trainee/certificates/{code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert code in text and "Tess Trainee" in text and f"/verify/{code}" in text
    other = Browser(app.test_client())
    with app.app_context():
        factories.user("o@x.test")
    other.login("o@x.test")
    assert other.get(f"/trainee/certificates/{code}.pdf").status_code == 404


def test_revoke_scoping_and_audit(app, tmp_path):
    """Another clinic's supervisor cannot revoke (404); the own supervisor can, with a reason kept."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test")
        factories.user("s@x.test", role="supervisor")
        factories.user("far@x.test", role="supervisor", clinic_name="South Clinic")
        factories.quiz_only_programme(trainee.clinic_id, trainee)
        pass_bank(trainee, bank, utcnow())
        cert_id = evaluation.refresh(trainee).certificate.id
        trainee_id = trainee.id
    url = f"/supervisor/certificates/{cert_id}/revoke"
    far = Browser(app.test_client())
    far.login("far@x.test")
    assert far.post_form("/supervisor/", {"reason": "x"}, action=url).status_code == 404
    assert far.get(f"/supervisor/trainees/{trainee_id}").status_code == 404
    own = Browser(app.test_client())
    own.login("s@x.test")
    assert (
        own.post_form(
            f"/supervisor/trainees/{trainee_id}", {"reason": "Failed practical audit"}, action=url
        ).status_code
        == 302
    )
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.revoke_reason == "Failed practical audit"
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "certificate.revoked")).details["reason"]
            == "Failed practical audit"
        )


def test_reminders_once_per_threshold(clinic_setup):
    """90, 60 and 30 days before expiry: one reminder each, never repeated."""
    bank, trainee, supervisor, _ = clinic_setup
    pass_bank(trainee, bank, utcnow())
    sign_sessions(trainee, supervisor, 2)
    cert = evaluation.refresh(trainee).certificate
    expires = cert.expires_on
    assert reminders.send_due(expires - dt.timedelta(days=91)) == []
    first = reminders.send_due(expires - dt.timedelta(days=90))
    assert [(r.threshold, r.days_left) for r in first] == [(90, 90)]
    assert reminders.send_due(expires - dt.timedelta(days=89)) == []
    assert [r.threshold for r in reminders.send_due(expires - dt.timedelta(days=45))] == [60]
    assert [r.threshold for r in reminders.send_due(expires - dt.timedelta(days=10))] == [30]
    assert reminders.send_due(expires - dt.timedelta(days=5)) == []
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 3


def test_remind_command_lists_due(app, tmp_path):
    """`flask certification remind` prints each due reminder and exits 0."""
    result = app.test_cli_runner().invoke(args=["certification", "remind"])
    assert result.exit_code == 0 and "0 reminder(s) due" in result.output


def test_my_certification_page_shows_checklist_and_next_steps(app, client, tmp_path):
    """The trainee sees each requirement, met or not, with a link to the next step."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("t@x.test")
    b = Browser(client)
    b.login("t@x.test")
    html = b.get("/trainee/certification").get_data(as_text=True)
    assert "Not started" in html and "Pass Tiny test bank" in html and "/trainee/banks/tiny" in html
    assert "20 supervised sessions signed off" in html and "/trainee/sessions/new" in html
