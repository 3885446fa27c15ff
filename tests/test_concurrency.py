"""Many hands at once, over HTTP with real threads: no lost answer, no double score.

Two tabs share one login and one attempt; a save races a submit; many trainees submit
at the same moment. Correctness comes from row locks and conditional updates in
``services.attempts``, so these tests must pass on every run, not most runs.
"""

import os
import re
import signal
import threading

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, AttemptQuestion, AuditEvent, MemoryCard, Response, ResponseChoice
from quizapp.services.quiz import attempts

from . import factories
from .conftest import PASSWORD, Browser, csrf_token, free_port
from .test_faults import ROOT, Http, serve
from .test_quiz_flow import attempt_of, key_positions, start

JSON = {"Accept": "application/json"}


def run_together(*jobs):
    """Start every job at the same instant (a barrier), wait for all, re-raise the first error."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def wrap(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def second_tab(app, first: Browser) -> Browser:
    """Another tab of the same browser: a new client carrying the same session cookie."""
    tab = Browser(app.test_client())
    tab.client.set_cookie("session", first.client.get_cookie("session").value)
    return tab


def tabs_on_new_attempt(app, email: str, count: int = 2) -> tuple[list[Browser], int, str]:
    """``count`` tabs of one logged-in browser on an attempt it has just started, and their CSRF token."""
    first = Browser(app.test_client())
    first.login(email)
    start(first)
    attempt_id = attempt_of(app, email)
    tabs = [first] + [second_tab(app, first) for _ in range(count - 1)]
    token = csrf_token(first.get(f"/trainee/attempts/{attempt_id}/finish").get_data(as_text=True))
    return tabs, attempt_id, token


def save(tab: Browser, attempt_id: int, number: int, positions: list[int], token: str):
    r = tab.client.post(
        f"/trainee/attempts/{attempt_id}/questions/{number}",
        data={"answer": [str(p) for p in positions]},
        headers={**JSON, "X-CSRFToken": token},
    )
    return r


def test_two_tabs_answering_and_submitting_at_once(app, tmp_path):
    """Each tab answers different questions at the same time, then both press Submit together."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("tabs@x.test")
    (tab_a, tab_b), attempt_id, token = tabs_on_new_attempt(app, "tabs@x.test")
    key = key_positions(app, attempt_id)
    statuses = []

    def answer(tab, numbers):
        def job():
            for n in numbers:
                statuses.append(save(tab, attempt_id, n, key[n - 1], token).status_code)

        return job

    run_together(answer(tab_a, [1, 3, 5]), answer(tab_b, [2, 4]))
    assert statuses == [200] * 5

    submits = []

    def submit(tab):
        return lambda: submits.append(
            tab.client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}).status_code
        )

    run_together(submit(tab_a), submit(tab_b))
    assert submits == [302, 302]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.state, attempt.score, attempt.passed) == ("submitted", 100.0, True)
        answered = db.session.scalar(
            select(func.count(func.distinct(ResponseChoice.response_id)))
            .join(Response)
            .where(Response.attempt_id == attempt_id)
        )
        assert answered == 5, "no answer from either tab was lost"
        graded = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind.like("attempt.%submit%"))
        )
        assert graded in (0, 1)


def test_tabs_changing_the_same_answer_at_once_leave_exactly_one_choice(app, tmp_path):
    """Three tabs pick different options of one single-answer question in the same instant, ten
    times over: afterwards the question holds one response with one of those choices, never a
    mixture of two saves."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("clicker@x.test")
    tabs, attempt_id, token = tabs_on_new_attempt(app, "clicker@x.test", count=3)
    with app.app_context():
        items = db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)).all()
        item = next(i for i in items if i.revision.type == "single" and len(i.choice_order) >= len(tabs))
        position, options = item.position, list(item.choice_order)

    def pick(tab, choice, statuses):
        return lambda: statuses.append(save(tab, attempt_id, position + 1, [choice], token).status_code)

    for _ in range(10):
        statuses = []
        run_together(*(pick(tab, choice, statuses) for choice, tab in enumerate(tabs)))
        assert statuses == [200] * len(tabs)
        with app.app_context():
            chosen = db.session.execute(
                select(Response.id, ResponseChoice.choice_id)
                .join(ResponseChoice, ResponseChoice.response_id == Response.id)
                .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
                .where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position)
            ).all()
        assert len(chosen) == 1, chosen
        assert chosen[0].choice_id in options[: len(tabs)]


def choices_stored(attempt_id: int, position: int) -> int:
    """Options stored as chosen for the question at ``position`` (inside an app context)."""
    return db.session.scalar(
        select(func.count())
        .select_from(ResponseChoice)
        .join(Response)
        .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
        .where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position)
    )


def race_last_answer_against_submit(app, email: str) -> None:
    (tab_a, tab_b), attempt_id, token = tabs_on_new_attempt(app, email)
    key = key_positions(app, attempt_id)
    for n in range(1, 5):
        assert save(tab_a, attempt_id, n, key[n - 1], token).status_code == 200
    outcome = {}

    def last_answer():
        outcome["save"] = save(tab_b, attempt_id, 5, key[4], token).status_code

    def submit():
        outcome["submit"] = tab_a.client.post(
            f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}
        ).status_code

    run_together(last_answer, submit)
    assert outcome["submit"] == 302 and outcome["save"] in (200, 409)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        last_saved = choices_stored(attempt_id, position=4)
        assert attempt.state == "submitted"
        # Saved and accepted (200) means scored; refused (409) means not stored at all.
        assert (outcome["save"] == 200) == (last_saved > 0) == (attempt.score == 100.0), (outcome, attempt.score)


def test_a_save_racing_a_submit_is_either_scored_or_refused(app, tmp_path):
    """The last answer arrives as the other tab submits: it is counted or refused, never saved unscored."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        for round_ in range(4):
            factories.user(f"race{round_}@x.test")
    for round_ in range(4):
        race_last_answer_against_submit(app, f"race{round_}@x.test")


def test_a_save_arriving_after_the_submit_is_refused_as_json(app, tmp_path):
    """The race's other order, made certain: the second tab's script saves after the first tab's
    submit has finished. It gets the 409 its script reads (with the review link), not a redirect
    it would follow as if the answer had been saved."""
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("late@x.test")
    (tab_a, tab_b), attempt_id, token = tabs_on_new_attempt(app, "late@x.test")
    assert tab_a.client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}).status_code == 302
    refused = save(tab_b, attempt_id, 5, [0], token)
    assert refused.status_code == 409
    assert refused.json["saved"] is False and refused.json["review"].endswith(f"/trainee/attempts/{attempt_id}/review")
    with app.app_context():
        stored = choices_stored(attempt_id, position=4)
    assert stored == 0, "the refused answer was not stored"


def test_many_trainees_submitting_at_the_same_moment(app, tmp_path):
    """Twelve trainees press Submit in the same instant; each attempt is scored once and correctly."""
    n = 12
    with app.app_context():
        factories.tiny_bank(tmp_path)
        for i in range(n):
            factories.user(f"crowd{i}@x.test")
    tabs, expected = [], {}
    for i in range(n):
        tab = Browser(app.test_client())
        tab.login(f"crowd{i}@x.test")
        start(tab)
        attempt_id = attempt_of(app, f"crowd{i}@x.test")
        token = csrf_token(tab.get(f"/trainee/attempts/{attempt_id}/finish").get_data(as_text=True))
        key = key_positions(app, attempt_id)
        right = i % 6  # trainee i answers the first (i mod 6) questions correctly, the rest blank
        for number in range(1, min(right, 5) + 1):
            assert save(tab, attempt_id, number, key[number - 1], token).status_code == 200
        expected[attempt_id] = 100.0 * min(right, 5) / 5
        tabs.append((tab, attempt_id, token))
    statuses = []

    def submitter(tab, attempt_id, token):
        def job():
            for _ in range(2):  # a double click as well
                statuses.append(
                    tab.client.post(f"/trainee/attempts/{attempt_id}/finish", data={"csrf_token": token}).status_code
                )

        return job

    run_together(*(submitter(*t) for t in tabs))
    assert statuses == [302] * (2 * n)
    with app.app_context():
        rows = db.session.execute(
            select(Attempt.id, Attempt.state, Attempt.score).where(Attempt.id.in_(expected))
        ).all()
        assert {r.id: (r.state, r.score) for r in rows} == {a: ("submitted", s) for a, s in expected.items()}
        per_attempt = db.session.execute(select(Response.attempt_id, func.count()).group_by(Response.attempt_id)).all()
        assert all(count == 5 for _, count in per_attempt), "exactly one response per question, none doubled"


BURST = 16  # trainees submitting at once, each twice (a double click)


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="gunicorn is installed by make test")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_burst_of_submits_to_gunicorn_grades_every_attempt_exactly_once(app, database_url, tmp_path):
    """Sixteen trainees press Submit in the same instant, twice each, against gunicorn's worker
    processes on PostgreSQL: every request is answered, and every attempt is graded exactly once,
    with the score its answers earn, every item scored and every memory card reviewed once."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        expected = {}
        for i in range(BURST):
            trainee = factories.user(f"burst{i}@x.test")
            attempt = attempts.start_or_resume(trainee, bank, seed=i)
            right = i % (len(attempt.questions) + 1)  # trainee i answers the first `right` items right, the rest wrong
            for aq in attempt.questions:
                correct = {c.id for c in aq.revision.choices if c.is_correct}
                if aq.position >= right:
                    correct = {next(cid for cid in aq.choice_order if cid not in correct)}
                attempts.save_answer(attempt.id, aq.position, correct)
            expected[attempt.id] = (f"burst{i}@x.test", round(100 * right / len(attempt.questions), 2))
        items = bank.questions_per_attempt
    env = {
        **os.environ,
        "SECRET_KEY": "burst-test",
        "DATABASE_URL": database_url,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "ACCOUNT_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    env.pop("REDIS_URL", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    port = free_port()
    server = serve(env, port, workers=4)
    try:
        tabs = []
        for attempt_id, (email, _) in expected.items():
            web = Http(f"http://127.0.0.1:{port}")
            status, headers, _ = web.form("/auth/login", {"email": email, "password": PASSWORD})
            assert status == 302, (email, status)
            _, _, page = web.request(f"/trainee/attempts/{attempt_id}/finish")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            tabs += [(web, attempt_id, token)] * 2
        answers = []

        def press(web, attempt_id, token):
            return lambda: answers.append(
                web.request(f"/trainee/attempts/{attempt_id}/finish", {"csrf_token": token})[:2]
            )

        run_together(*(press(*tab) for tab in tabs))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    assert len(answers) == 2 * BURST
    assert all(status == 302 and "/review" in headers["Location"] for status, headers in answers), answers
    with app.app_context():
        rows = db.session.execute(
            select(Attempt.id, Attempt.state, Attempt.score).where(Attempt.id.in_(expected))
        ).all()
        assert {r.id: (r.state, r.score) for r in rows} == {a: ("submitted", s) for a, (_, s) in expected.items()}
        scored = dict(
            db.session.execute(
                select(Response.attempt_id, func.count())
                .where(Response.attempt_id.in_(expected), Response.score.is_not(None))
                .group_by(Response.attempt_id)
            ).all()
        )
        assert scored == {a: items for a in expected}, "every item scored, and once (one response per item)"
        reviews = db.session.execute(select(MemoryCard.user_id, MemoryCard.reviews)).all()
        assert len(reviews) == BURST * items and {r.reviews for r in reviews} == {1}, "each card reviewed once"
