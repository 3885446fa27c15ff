"""A trainee takes a quiz through the web app: save, resume, submit once, review, secrecy."""

import re

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, AttemptQuestion, QuestionRevision, Response
from quizapp.services.quiz import attempts

from . import factories
from .conftest import Browser, csrf_token, recorded_statements


@pytest.fixture
def trainee(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("trainee@x.test")
        factories.user("other@x.test")
    return "trainee@x.test"


def start(browser: Browser) -> str:
    response = browser.post_form("/trainee/banks/tiny", {}, action="/trainee/banks/tiny/start")
    assert response.status_code == 302
    return response.headers["Location"]


def attempt_of(app, email):
    with app.app_context():
        from quizapp.models import User

        user = db.session.scalar(select(User).where(User.email == email))
        a = db.session.scalar(select(Attempt).where(Attempt.user_id == user.id))
        return a.id if a else None


def key_positions(app, attempt_id):
    """Display positions of the correct options, per question position (the test's answer key)."""
    with app.app_context():
        rows = db.session.scalars(
            select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)
        ).all()
        out = []
        for aq in rows:
            correct = {c.id for c in aq.revision.choices if c.is_correct}
            out.append([i for i, cid in enumerate(aq.choice_order) if cid in correct])
        return out


def test_home_lists_banks_with_progress(client, trainee):
    """The trainee home shows each bank, attempts used and what remains."""
    b = Browser(client)
    b.login(trainee)
    html = b.get("/trainee/").get_data(as_text=True)
    assert "Tiny test bank" in html and "0 of 3" in html and "1 of 1 banks still to pass" in html


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


def test_resume_opens_where_the_trainee_last_saved_and_viewing_writes_nothing(app, client, trainee):
    """Save and next moves the resume point on, Previous moves it back; looking at a question
    (a GET) writes nothing to the database."""
    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    url = f"/trainee/attempts/{attempt_id}/questions/"
    resume = f"/trainee/attempts/{attempt_id}"
    saved = b.post_form(url + "1", {"answer": "0", "next": "Save and next"})
    assert saved.headers["Location"].endswith("/questions/2")
    assert b.get(resume).headers["Location"].endswith("/questions/2")
    for number in ("2", "4"):
        with recorded_statements(app) as seen:
            assert b.get(url + number).status_code == 200
        assert _writes(seen) == []
    assert b.get(resume).headers["Location"].endswith("/questions/2")
    back = b.post_form(url + "4", {"answer": "1", "previous": "Previous"})
    assert back.headers["Location"].endswith("/questions/3")
    assert b.get(resume).headers["Location"].endswith("/questions/3")
    autosaved = b.client.post(
        url + "5",
        data={"answer": "0"},
        headers={"Accept": "application/json", "X-CSRFToken": csrf_token(b.get(url + "5").get_data(as_text=True))},
    )
    assert autosaved.get_json() == {"saved": True, "answered": True}
    assert b.get(resume).headers["Location"].endswith("/questions/5")


def test_take_quiz_resume_and_review(app, client, trainee):
    """Answer via form posts, log in again in a new browser, resume where left, submit, review."""
    b = Browser(client)
    b.login(trainee)
    first_url = start(b)
    assert first_url.endswith("/questions/1")
    attempt_id = attempt_of(app, trainee)
    keys = key_positions(app, attempt_id)
    for n in (1, 2):
        url = f"/trainee/attempts/{attempt_id}/questions/{n}"
        r = b.post_form(url, {"answer": [str(p) for p in keys[n - 1]], "next": "Save and next"})
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/questions/{n + 1}")
    b.get(f"/trainee/attempts/{attempt_id}/questions/3")  # moved on to question 3, then the tab closed

    fresh = Browser(app.test_client())  # a new browser: nothing but the login survives
    fresh.login(trainee)
    home = fresh.get("/trainee/").get_data(as_text=True)
    assert f"/trainee/attempts/{attempt_id}" in home and "Resume" in home
    resumed = fresh.get(f"/trainee/attempts/{attempt_id}")
    assert resumed.headers["Location"].endswith("/questions/3")
    page2 = fresh.get(f"/trainee/attempts/{attempt_id}/questions/2").get_data(as_text=True)
    for p in keys[1]:
        assert re.search(rf'value="{p}"\s+checked', page2), "the saved answer is shown again"

    for n in range(3, len(keys) + 1):
        fresh.post_form(
            f"/trainee/attempts/{attempt_id}/questions/{n}", {"answer": [str(p) for p in keys[n - 1]], "next": "x"}
        )
    r = fresh.post_form(f"/trainee/attempts/{attempt_id}/finish", {})
    assert r.headers["Location"].endswith(f"/trainee/attempts/{attempt_id}/review")
    review = fresh.get(f"/trainee/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Passed: 100.0%" in review
    with app.app_context():
        revs = db.session.scalars(
            select(QuestionRevision).join(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
        ).all()
        for rev in revs:
            assert rev.rationale in review
            assert rev.references[0]["title"] in review and str(rev.references[0]["year"]) in review


def test_answer_saved_without_reload_via_json(app, client, trainee):
    """The JavaScript path: a fetch with the CSRF header saves and answers in JSON."""
    b = Browser(client)
    b.login(trainee)
    url = start(b)
    attempt_id = attempt_of(app, trainee)
    token = csrf_token(b.get(url).get_data(as_text=True))
    r = client.post(url, data={"answer": "0"}, headers={"Accept": "application/json", "X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json() == {"saved": True, "answered": True}
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == attempt_id)) == 1
        )


def test_correct_answers_never_reach_the_browser_before_submit(app, client, trainee):
    """No pre-submit page contains choice ids, keys, feedback, rationale or references."""
    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    pages = [b.get("/trainee/").get_data(as_text=True), b.get("/trainee/banks/tiny").get_data(as_text=True)]
    with app.app_context():
        items = db.session.scalars(
            select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)
        ).all()
        secrets = []
        correct_ids = []
        for aq in items:
            secrets.append(aq.revision.rationale)
            secrets.append(aq.revision.references[0]["title"])
            secrets += [c.feedback for c in aq.revision.choices if c.feedback]
            correct_ids += [c.id for c in aq.revision.choices if c.is_correct]
        n = len(items)
    for i in range(1, n + 1):
        pages.append(b.get(f"/trainee/attempts/{attempt_id}/questions/{i}").get_data(as_text=True))
    pages.append(b.get(f"/trainee/attempts/{attempt_id}/finish").get_data(as_text=True))
    for html in pages:
        for secret in secrets:
            assert secret not in html
        assert "correct" not in html.lower()
        assert "data-" not in html.replace("data-autosave", "").replace("data-save-status", "").replace(
            "data-seconds-left", ""
        ).replace("data-timer", "").replace("data-answered-count", "").replace("data-label", "")
        values = re.findall(r'name="answer"[^>]*value="([^"]*)"', html)
        assert all(v.isdigit() and int(v) < 5 for v in values), "option values are display positions only"
        for cid in correct_ids:
            assert f'value="{cid}"' not in html or cid < 5


def test_tampered_answer_gets_400_and_changes_nothing(app, client, trainee):
    """An option value that is not on the page is refused with 400; nothing is stored."""
    b = Browser(client)
    b.login(trainee)
    url = start(b)
    for bad in (["7"], ["-1"], ["abc"], ["99999999999999999999"]):
        r = b.post_form(url, {"answer": bad, "next": "x"})
        assert r.status_code == 400
    r = client.post(url, data={"answer": "0", "next": "x"})  # no CSRF token
    assert r.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_double_submit_over_http_counts_once(app, client, trainee):
    """Replaying the submit form changes nothing after the first."""
    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    token = csrf_token(b.get(f"/trainee/attempts/{attempt_id}/finish").get_data(as_text=True))
    first = client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token})
    second = client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    with app.app_context():
        a = db.session.get(Attempt, attempt_id)
        assert a.state == "submitted"
        assert db.session.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == a.id)) == 5


def test_answers_after_submit_are_refused(app, client, trainee):
    """Posting an answer to a submitted attempt stores nothing and leads to the review."""
    b = Browser(client)
    b.login(trainee)
    url = start(b)
    attempt_id = attempt_of(app, trainee)
    with app.app_context():
        attempts.submit(attempt_id)
    r = b.post_form("/trainee/", {"answer": "0", "next": "x"}, action=url)
    assert r.status_code == 302 and r.headers["Location"].endswith("/review")
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Response).where(Response.answered_at.is_not(None))) == 0
        )


def test_another_trainees_attempt_is_404(app, client, trainee):
    """Every attempt URL of someone else is a 404, as is the review."""
    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    intruder = Browser(app.test_client())
    intruder.login("other@x.test")
    for url in (
        f"/trainee/attempts/{attempt_id}",
        f"/trainee/attempts/{attempt_id}/questions/1",
        f"/trainee/attempts/{attempt_id}/finish",
        f"/trainee/attempts/{attempt_id}/review",
    ):
        assert intruder.get(url).status_code == 404
    token = csrf_token(intruder.get("/trainee/").get_data(as_text=True))
    assert intruder.client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).is_open


def test_review_is_not_available_before_submit(app, client, trainee):
    """The review URL of an open attempt sends the trainee back to the questions."""
    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    r = b.get(f"/trainee/attempts/{attempt_id}/review")
    assert r.status_code == 302 and "/review" not in r.headers["Location"]


def test_other_roles_cannot_use_trainee_pages(app, client):
    """Supervisors and admins get 404 on the trainee area; anonymous users are sent to log in."""
    with app.app_context():
        factories.user("sup@x.test", role="supervisor")
    assert client.get("/trainee/").status_code == 302
    b = Browser(client)
    b.login("sup@x.test")
    assert b.get("/trainee/").status_code == 404


def _statement_shape(statement: str) -> str:
    """ "SELECT attempt_question", "UPDATE attempt": the verb and the first table it names; for a
    statement with writing CTEs, every write in order ("UPDATE attempt + INSERT response")."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "WITH":
        writes = re.findall(r"(?<!DO )\b(UPDATE|INSERT INTO|DELETE FROM)\s+(\w+)", statement, re.IGNORECASE)
        return " + ".join(f"{kind.split()[0].upper()} {table}" for kind, table in writes)
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else '?'}"


def _submit_statements(app, client, trainee, right: bool) -> list[str]:
    """Start an attempt, answer every item right (or wrong), review every card once beforehand
    (so the submit updates cards as well as creating none), then submit: the statements sent."""
    from quizapp.models import User, utcnow
    from quizapp.services.certification import evaluation
    from quizapp.services.learning import memory_schedule

    b = Browser(client)
    b.login(trainee)
    start(b)
    attempt_id = attempt_of(app, trainee)
    for number, positions in enumerate(key_positions(app, attempt_id), start=1):
        if not right:
            with app.app_context():
                order = db.session.scalar(
                    select(AttemptQuestion.choice_order).where(
                        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == number - 1
                    )
                )
            positions = [next(p for p in range(len(order)) if p not in positions)]
        b.post_form(f"/trainee/attempts/{attempt_id}/questions/{number}", {"answer": [str(p) for p in positions]})
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == trainee))
        question_ids = db.session.scalars(
            select(QuestionRevision.question_id)
            .join(AttemptQuestion, AttemptQuestion.revision_id == QuestionRevision.id)
            .where(AttemptQuestion.attempt_id == attempt_id)
        ).all()
        memory_schedule.record_reviews(user_id, [(q, float(i % 2)) for i, q in enumerate(question_ids)], utcnow())
        db.session.commit()
        evaluation.programme_for(db.session.get(User, user_id).clinic_id)  # the clinic's rules, as in use
    token = csrf_token(b.get(f"/trainee/attempts/{attempt_id}/finish").get_data(as_text=True))
    with recorded_statements(app) as seen:
        assert client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.state, attempt.passed) == ("submitted", right)
    return seen


# The submit of an attempt that cannot change the trainee's certification: the user (the view),
# the conditional UPDATE that closes it if it is this trainee's and open (no read before it), one read of every item with its
# options and ticks, every item's score and the attempt's result (one statement on PostgreSQL,
# two on SQLite), the memory cards locked and written back in one statement each, and the
# clinic's mark for the bank.
SUBMIT_STATEMENTS = {
    "postgresql": [
        "SELECT user_account",
        "UPDATE attempt",
        "SELECT attempt_question",
        "UPDATE attempt + INSERT response",
        "SELECT memory_card",
        "INSERT memory_card",
        "SELECT bank",
    ],
    "sqlite": [
        "SELECT user_account",
        "UPDATE attempt",
        "SELECT attempt_question",
        "INSERT response",
        "UPDATE attempt",
        "SELECT memory_card",
        "INSERT memory_card",
        "SELECT bank",
    ],
}


def _expected_submit(app) -> list[str]:
    with app.app_context():
        return SUBMIT_STATEMENTS[db.engine.dialect.name]


def test_a_failed_submit_sends_a_fixed_set_of_statements(app, client, trainee):
    """A submit that fails reads the items once, writes every score in one statement and every
    memory card (some new, some reviewed before) in one more: seven statements in all on
    PostgreSQL, eight on SQLite, and no certification refresh, since a fail cannot certify anyone."""
    seen = _submit_statements(app, client, trainee, right=False)
    assert [_statement_shape(s) for s in seen] == _expected_submit(app)


def test_a_passing_submit_adds_only_the_certification_refresh(app, client, trainee):
    """A pass that counts for the clinic's programme is followed, after the commit, by the
    certification refresh (reads only here: 20 supervised sessions are still missing); the
    grading statements are the same as for a fail."""
    seen = [_statement_shape(s) for s in _submit_statements(app, client, trainee, right=True)]
    expected = _expected_submit(app)
    assert seen[: len(expected)] == expected
    refresh = seen[len(expected) :]
    assert refresh and all(s.startswith("SELECT") for s in refresh), refresh
    assert "SELECT attempt_question" not in refresh and "SELECT memory_card" not in refresh


def test_the_result_page_reads_in_three_statements(app, client, trainee):
    """The page a trainee lands on after Submit: the user, the attempt with its bank, and the
    items with their answers and whether each is held by an open attempt, in one query each
    (the held questions and the bank were a query each of their own)."""
    _submit_statements(app, client, trainee, right=False)
    attempt_id = attempt_of(app, trainee)
    client.get(f"/trainee/attempts/{attempt_id}/review")  # the revisions' texts: read once per process
    with recorded_statements(app) as seen:
        page = client.get(f"/trainee/attempts/{attempt_id}/review")
    assert page.status_code == 200 and "Tiny test bank" in page.get_data(as_text=True)
    assert len(seen) == 3, seen
    assert [_statement_shape(s) for s in seen[:2]] == ["SELECT user_account", "SELECT attempt"]
    assert "JOIN bank" in seen[1] and "FROM attempt_question" in seen[2], seen
