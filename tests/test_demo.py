"""`flask demo`: a believable clinic, built through the real services, the same every time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from quizapp import demo
from quizapp.extensions import db
from quizapp.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    AuditEvent,
    Bank,
    Certificate,
    Clinic,
    MemoryCard,
    PracticeItem,
    Question,
    QuestionRevision,
    Response,
    SessionState,
    SupervisedSession,
    User,
    utcnow,
)
from quizapp.services.banks import bank_import
from quizapp.services.certification import evaluation

from .conftest import Browser, empty_database

SHIPPED_BANKS = Path(__file__).resolve().parent.parent / "question_banks"
MAIN = "Demo Physiotherapy Clinic"
HARBOUR = "Demo Harbour Sports Clinic"


@pytest.fixture(scope="module")
def built(migrated_app):
    """The shipped banks and the demo, built once per database for this module: the app, the
    moment it was built at, and a snapshot taken before any test logged in or changed it."""
    empty_database(migrated_app)
    now = utcnow()
    with migrated_app.app_context():
        bank_import.import_banks(SHIPPED_BANKS)
        demo.build(now)
        first = snapshot()
        db.session.remove()
    return migrated_app, now, first


def snapshot() -> dict:
    """Everything the demo made, by natural keys (e-mails, bank slugs, question ids), never row ids."""
    email = {u.id: u.email for u in db.session.scalars(select(User))}
    external = dict(db.session.execute(select(QuestionRevision.id, Question.external_id).join(Question)).all())
    slug = dict(db.session.execute(select(Bank.id, Bank.slug)).all())
    items: dict[int, list] = {}
    for attempt_id, position, revision_id, score in db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.position, AttemptQuestion.revision_id, Response.score)
        .outerjoin(Response, Response.attempt_question_id == AttemptQuestion.id)
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)
    ):
        items.setdefault(attempt_id, []).append((position, external[revision_id], score))
    reviewer = aliased(User)
    return {
        "clinics": sorted(
            db.session.execute(select(Clinic.name, Clinic.timezone, Clinic.signatory_name, Clinic.created_at)).all()
        ),
        "people": sorted(
            (u.email, u.name, u.role, u.clinic.name if u.clinic else None, u.created_at, u.last_login_at)
            for u in db.session.scalars(select(User))
        ),
        "attempts": sorted(
            (email[a.user_id], slug[a.bank_id], a.started_at, a.submitted_at, a.state, a.score, a.passed, items[a.id])
            for a in db.session.scalars(select(Attempt))
        ),
        "sessions": sorted(
            db.session.execute(
                select(
                    User.email,
                    SupervisedSession.session_date,
                    SupervisedSession.created_at,
                    SupervisedSession.region,
                    SupervisedSession.muscles,
                    SupervisedSession.status,
                    reviewer.email,
                    SupervisedSession.reviewed_at,
                    SupervisedSession.review_comment,
                )
                .join(User, User.id == SupervisedSession.trainee_id)
                .outerjoin(reviewer, reviewer.id == SupervisedSession.reviewed_by_id)
            ).all()
        ),
        "practice": sorted(
            (email[p.user_id], external[p.revision_id], p.mode, p.shown_at, p.answered_at, p.score)
            for p in db.session.scalars(select(PracticeItem))
        ),
        "memory": sorted(
            (email[c.user_id], c.question_id, c.due, c.reviews, c.lapses)
            for c in db.session.scalars(select(MemoryCard))
        ),
        "certificates": sorted(
            (email[c.user_id], c.earned_at, c.issued_at, c.expires_on, c.revoked_at)
            for c in db.session.scalars(select(Certificate))
        ),
        "audit": sorted(
            (e.kind, e.at, email.get(e.actor_id), email.get(e.subject_user_id))
            for e in db.session.scalars(select(AuditEvent))
        ),
    }


def test_demo_tells_each_trainee_story(built):
    """Every status a clinic meets is there: certified, expiring in 45 days, expired, revoked, a
    critical item missed twice, new starters, open attempts, sessions waiting for sign-off."""
    app, now, _ = built
    today = now.date()
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        status = {e: evaluation.status_of(u, today) for e, u in users.items() if u.is_trainee}
        assert {e.split("@")[0]: s.status.value for e, s in status.items()} == {
            "trainee1": "in progress",
            "trainee2": "certified",
            "trainee3": "in progress",
            "morgan": "expiring",
            "taylor": "expired",
            "casey": "certified",
            "jamie": "in progress",
            "drew": "in progress",
            "quinn": "revoked",
            "avery": "not started",
            "rowan": "in progress",
            "kai": "in progress",
            "elliot": "in progress",
            "sasha": "certified",
            "lachlan": "certified",
            "tom": "in progress",
            "isla": "in progress",
        }
        assert status["morgan@demo.needlework.test"].expires_on == today + dt.timedelta(days=45)
        expired = db.session.scalars(
            select(Certificate).where(Certificate.user_id == users["taylor@demo.needlework.test"].id)
        ).one()
        assert expired.expires_on == today - dt.timedelta(days=70)
        assert len(status["casey@demo.needlework.test"].history) == 2

        def attempts_of(local: str) -> list[Attempt]:
            user = users[f"{local}@demo.needlework.test"]
            return list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id)))

        critical_misses = [a for a in attempts_of("trainee3") if a.score >= a.pass_mark and not a.passed]
        assert len(critical_misses) == 2 and all(a.critical_score < a.critical_min for a in critical_misses)
        for local in ("trainee1", "rowan"):
            assert [a.state for a in attempts_of(local)][-1] == AttemptState.IN_PROGRESS
        assert not attempts_of("avery")

        pending = db.session.scalars(select(SupervisedSession).where(SupervisedSession.status == SessionState.PENDING))
        assert {s.trainee.clinic.name for s in pending} == {MAIN, HARBOUR}
        assert db.session.scalar(select(PracticeItem.id).limit(1)) is not None
        first = min(a.started_at for a in db.session.scalars(select(Attempt)))
        assert first < now - dt.timedelta(days=700), "histories reach back over two years"


def test_every_bank_has_tens_of_attempts(built):
    """Question statistics and charts have something to say: at least 20 submitted attempts a bank."""
    app, _, _ = built
    with app.app_context():
        for bank in db.session.scalars(select(Bank)):
            submitted = db.session.scalars(
                select(Attempt.id).where(Attempt.bank_id == bank.id, Attempt.state == AttemptState.SUBMITTED)
            ).all()
            assert len(submitted) >= 20, bank.slug


def test_dashboard_and_question_statistics_have_data(built):
    """The supervisor's dashboard lists the clinic's trainees (not the other clinic's), and every
    bank's question statistics page reports attempts."""
    app, _, _ = built
    browser = Browser(app.test_client())
    assert browser.login("supervisor@demo.needlework.test", demo.PASSWORD).status_code == 302
    page = browser.get("/supervisor/").get_data(as_text=True)
    for name in ("Alex Moreno", "Morgan Blake", "Taylor Nguyen", "Quinn Harper", "Avery Walsh"):
        assert name in page
    assert "Lachlan Reid" not in page
    for slug in demo.BANKS:
        items = browser.get(f"/supervisor/items?bank={slug}&attempts=all")
        assert items.status_code == 200
        counts = [int(n) for n in re.findall(r"(\d+) attempts", items.get_data(as_text=True))]
        assert counts and max(counts) >= 15, slug


def test_cli_prints_every_login_and_changes_nothing_the_second_time(built):
    """`flask demo` over a built demo plays nothing again and prints each login with the password."""
    app, _, _ = built
    with app.app_context():
        before = snapshot()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output and demo.PASSWORD in result.output
    for person in demo.PEOPLE:
        assert person.email in result.output
    with app.app_context():
        assert snapshot() == before


def test_demo_is_the_same_after_a_reset(built):
    """Removed and built again from the same moment, the demo holds the same people, attempts,
    answers, scores, sessions, practice and certificates (the seed fixes every choice)."""
    app, now, first = built
    with app.app_context():
        assert demo.remove() == len(demo.PEOPLE)
        assert db.session.scalar(select(User.id).limit(1)) is None
        logins = demo.build(now)
        assert sum(login.played for login in logins) == sum(p.story is not None for p in demo.PEOPLE)
        assert snapshot() == first


def test_readme_lists_every_demo_login():
    """The README's Demo section names every demo login, the password and how to reset."""
    readme = (SHIPPED_BANKS.parent / "README.md").read_text()
    section = readme.split("\n## Demo\n", 1)[1].split("\n## ", 1)[0]
    for person in demo.PEOPLE:
        assert f"`{person.email.split('@')[0]}`" in section, person.email
    assert demo.PASSWORD in section and "flask demo --reset" in section
