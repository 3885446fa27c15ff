"""Hostile input: every tampered request gets a readable 400/404 and changes nothing in the database."""

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, utcnow
from quizapp.services.certification import supervised_sessions
from quizapp.services.quiz import attempts

from . import factories
from .conftest import Browser, csrf_token

TABLES = (
    "attempt",
    "attempt_question",
    "response",
    "response_choice",
    "supervised_session",
    "accommodation",
    "certificate",
    "user_account",
    "audit_event",
)


def snapshot(app):
    """Every row of the tables a tampered request could touch."""
    with app.app_context():
        return {
            t: sorted(map(tuple, db.session.execute(sa.text(f"SELECT * FROM {t}")).all()), key=repr) for t in TABLES
        }


@pytest.fixture
def world(app, tmp_path):
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test", name="<script>alert('x')</script> O'Brien")
        factories.user("s@x.test", role="supervisor")
        attempt = attempts.start_or_resume(trainee, bank, seed=3)
        supervised_sessions.log_session(trainee, utcnow().date(), "lumbopelvic", "Multifidus", "")
        return {"attempt": attempt.id, "trainee": trainee.id}


def trainee(app):
    b = Browser(app.test_client())
    b.login("t@x.test")
    return b


@pytest.mark.parametrize(
    "answer",
    [
        ["7"],
        ["-1"],
        ["99999999999999999999999"],
        ["1e3"],
        ["0x1"],
        ["' OR 1=1 --"],
        ["0", "1", "2", "3", "4", "5"],
        ["<script>"],
        ["x" * 10000],
    ],
)
def test_tampered_answers_are_refused_and_change_nothing(app, world, answer):
    """Option values that are not on the page, numbers out of range or not numbers: 400, nothing saved."""
    b = trainee(app)
    url = f"/trainee/attempts/{world['attempt']}/questions/1"
    before = snapshot(app)
    response = b.post_form(url, {"answer": answer, "next": "Save and next"})
    assert response.status_code == 400 and "Nothing was changed" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("number", ["0", "99", "-1", "999999999999999999999"])
def test_questions_outside_the_attempt_are_404(app, world, number):
    """Question numbers the attempt does not have: 404 for reading and for answering."""
    b = trainee(app)
    before = snapshot(app)
    url = f"/trainee/attempts/{world['attempt']}/questions/{number}"
    assert b.get(url).status_code == 404
    token = csrf_token(b.get("/trainee/").get_data(as_text=True))
    assert b.client.post(url, data={"answer": "0", "csrf_token": token}).status_code == 404
    assert snapshot(app) == before


def test_missing_or_forged_csrf_token_is_400(app, world):
    """Without a valid token no form is accepted, on any blueprint."""
    b = trainee(app)
    before = snapshot(app)
    for url, data in [
        (f"/trainee/attempts/{world['attempt']}/questions/1", {"answer": "0"}),
        (f"/trainee/attempts/{world['attempt']}/finish", {}),
        ("/trainee/sessions/new", {"session_date": "2026-11-01", "region": "lumbopelvic", "muscles": "x"}),
        ("/auth/password", {"current": "a", "new": "b" * 12, "confirm": "b" * 12}),
    ]:
        for token in (None, "forged-token"):
            payload = dict(data) if token is None else {**data, "csrf_token": token}
            response = b.client.post(url, data=payload)
            assert response.status_code == 400, url
            assert "nothing was saved" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"region": "not-a-region"},
        {"session_date": "2026-13-45"},
        {"session_date": "9999-01-01"},
        {"muscles": "m" * 301},
        {"muscles": ""},
        {"safety_notes": "n" * 2001},
        {"muscles": "Robert'); DROP TABLE supervised_session;--"},
    ],
)
def test_bad_session_logs_are_refused(app, world, fields):
    """Unknown regions, impossible or future dates, overlong text: a form error, nothing stored.

    SQL metacharacters are just text: stored as typed when otherwise valid (parameters, not strings).
    """
    b = trainee(app)
    before = snapshot(app)
    data = {"session_date": utcnow().date().isoformat(), "region": "lumbopelvic", "muscles": "Gluteus medius", **fields}
    response = b.post_form("/trainee/sessions/new", data)
    if "DROP TABLE" in fields.get("muscles", ""):
        assert response.status_code == 302
        with app.app_context():
            stored = db.session.execute(sa.text("SELECT muscles FROM supervised_session ORDER BY id DESC")).scalar()
            assert stored == fields["muscles"]
        return
    assert response.status_code == 200 and "errors" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_names_with_html_are_rendered_escaped(app, world):
    """A trainee named <script> shows as text to the supervisor, never as markup."""
    b = Browser(app.test_client())
    b.login("s@x.test")
    for url in ("/supervisor/", f"/supervisor/trainees/{world['trainee']}"):
        html = b.get(url).get_data(as_text=True)
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(" in html


@pytest.mark.parametrize(
    "query",
    [
        "?page=-1",
        "?page=abc",
        "?page=99999999999999999999",
        "?q=" + "x" * 500,
        "?status=hacked",
        "?sort=" + "'; DROP TABLE user_account;--",
    ],
)
def test_dashboard_query_tampering(app, world, query):
    """Bad filter values: 400 (or ignored when harmless), never a 500, nothing changed."""
    b = Browser(app.test_client())
    b.login("s@x.test")
    before = snapshot(app)
    response = b.get("/supervisor/" + query)
    assert response.status_code in (200, 400)
    assert snapshot(app) == before


def test_accommodation_out_of_range_is_400(app, world):
    """A negative or huge multiplier or attempt count is refused; the trainee is unchanged."""
    b = Browser(app.test_client())
    b.login("s@x.test")
    before = snapshot(app)
    url = f"/supervisor/trainees/{world['trainee']}/accommodation"
    for data in (
        {"time_multiplier": "-2", "extra_attempts": "0", "reason": "x"},
        {"time_multiplier": "1e308", "extra_attempts": "0", "reason": "x"},
        {"time_multiplier": "1.5", "extra_attempts": "100000", "reason": "x"},
        {"time_multiplier": "NaN", "extra_attempts": "1", "reason": "x"},
    ):
        assert b.post_form(f"/supervisor/trainees/{world['trainee']}", data, action=url).status_code == 400
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.get(Attempt, world["attempt"]).is_open
