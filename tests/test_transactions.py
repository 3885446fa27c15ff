"""PostgreSQL: plain reads run outside a transaction block; the first write or locking read opens
one, and everything from there to the commit or rollback is still a single transaction."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy import select, update

from quizapp.database import needs_transaction
from quizapp.extensions import db
from quizapp.models import Clinic, User

from . import factories
from .conftest import Browser, csrf_token, recorded_statements
from .test_quiz_flow import attempt_of, start


@pytest.mark.parametrize(
    "statement, needed",
    [
        ("SELECT user_account.id FROM user_account WHERE user_account.id = %(id)s", False),
        ("\n  select 1", False),
        ("SELECT audit_event.performed_at, format('%%s', audit_event.id) FROM audit_event", False),
        ("select id from attempt for update", True),
        ("SELECT memory_card.id FROM memory_card WHERE memory_card.user_id = %(u)s FOR UPDATE", True),
        ("SELECT a.id FROM attempt AS a FOR NO KEY UPDATE", True),
        ("SELECT a.id FROM attempt AS a FOR SHARE", True),
        ("SELECT a.id FROM attempt AS a FOR KEY SHARE", True),
        ("UPDATE attempt SET current_position=%(p)s WHERE attempt.id = %(id)s", True),
        ("INSERT INTO response (attempt_id) VALUES (%(a)s) RETURNING response.id", True),
        ("DELETE FROM response_choice WHERE response_choice.response_id = %(r)s", True),
        ("WITH gone AS (DELETE FROM response RETURNING id) SELECT count(*) FROM gone", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("TRUNCATE attempt CASCADE", True),
    ],
)
def test_which_statements_need_a_transaction(statement, needed):
    assert needs_transaction(statement) is needed


@pytest.fixture
def postgres(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("transaction blocks opened at the first write are PostgreSQL's set-up (the PostgreSQL leg)")
    return database_url


def _status() -> TransactionStatus:
    return db.session.connection().connection.dbapi_connection.info.transaction_status


def test_reads_stay_outside_a_block_and_a_rollback_undoes_every_write_since_the_first(app, postgres):
    with app.app_context():
        user_id = factories.user("t@x.test", name="Before").id
        clinic_id = db.session.scalar(select(User.clinic_id).where(User.id == user_id))
        db.session.commit()
        assert db.session.scalar(select(User.name).where(User.id == user_id)) == "Before"
        assert _status() == TransactionStatus.IDLE
        db.session.execute(update(User).where(User.id == user_id).values(name="During"))
        assert _status() == TransactionStatus.INTRANS
        db.session.execute(update(Clinic).where(Clinic.id == clinic_id).values(name="Renamed"))
        # Inside the block the transaction sees its own writes.
        assert db.session.scalar(select(User.name).where(User.id == user_id)) == "During"
        db.session.rollback()
        assert db.session.scalar(select(User.name).where(User.id == user_id)) == "Before"
        assert db.session.scalar(select(Clinic.name).where(Clinic.id == clinic_id)) == "North Clinic"


def test_a_locking_read_opens_the_block_and_holds_its_lock_until_the_commit(app, postgres):
    with app.app_context():
        user_id = factories.user("t@x.test").id
        db.session.commit()
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
        assert _status() == TransactionStatus.INTRANS
        with psycopg.connect(sa.make_url(postgres).set(drivername="postgresql").render_as_string(False)) as other:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT id FROM user_account WHERE id = %s FOR UPDATE NOWAIT", (user_id,))
            other.rollback()
            db.session.commit()
            assert other.execute("SELECT id FROM user_account WHERE id = %s FOR UPDATE NOWAIT", (user_id,)).fetchone()


def test_a_streamed_result_gets_its_block(app, postgres):
    """A server-side cursor (yield_per) only exists inside a transaction block."""
    with app.app_context():
        for n in range(3):
            factories.user(f"t{n}@x.test")
        db.session.commit()
        emails = [u.email for u in db.session.scalars(select(User).order_by(User.id).execution_options(yield_per=2))]
        assert emails == ["t0@x.test", "t1@x.test", "t2@x.test"]


def transaction_status_per_statement(app):
    """(first word of each statement, the driver's transaction status just before it is sent)."""
    return recorded_statements(
        app, lambda cursor, statement: (statement.split()[0].upper(), cursor.connection.info.transaction_status)
    )


def test_the_question_page_reads_without_a_block_and_a_save_writes_in_one(app, client, postgres, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("trainee@x.test")
    b = Browser(client)
    b.login("trainee@x.test")
    start(b)
    url = f"/trainee/attempts/{attempt_of(app, 'trainee@x.test')}/questions/2"
    with transaction_status_per_statement(app) as seen:
        page = b.get(url)
    assert page.status_code == 200
    assert seen and all(status == TransactionStatus.IDLE for _, status in seen), seen
    token = csrf_token(page.get_data(as_text=True))
    with transaction_status_per_statement(app) as seen:
        saved = client.post(url, data={"answer": "0"}, headers={"Accept": "application/json", "X-CSRFToken": token})
    assert saved.get_json() == {"saved": True, "answered": True}
    verbs = [verb for verb, _ in seen]
    # Reads first (user, slot), then the writes: the held attempt with its response, then the
    # selections (both writing CTEs, so they start with WITH).
    assert verbs == ["SELECT", "SELECT", "WITH", "WITH"], verbs
    first_write = verbs.index("WITH")
    assert all(status == TransactionStatus.IDLE for _, status in seen[:first_write]), seen
    # The app opened the block just before the first write went out: every statement after it is inside.
    assert all(status == TransactionStatus.INTRANS for _, status in seen[first_write + 1 :]), seen
