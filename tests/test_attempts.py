"""The attempt engine against a real database: draw, save, expiry, limits, submit once."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, AttemptQuestion, Response, utcnow
from quizapp.services.quiz import attempts

from . import factories


@pytest.fixture
def setup(ctx, tmp_path):
    bank = factories.tiny_bank(tmp_path)
    trainee = factories.user("t@x.test")
    return bank, trainee


def answer_correctly(attempt, now=None):
    for aq in attempt.questions:
        correct = {c.id for c in aq.revision.choices if c.is_correct}
        attempts.save_answer(attempt.id, aq.position, correct, now=now)


def test_start_draws_recorded_questions(setup):
    """Starting records the drawn revisions and option order server-side."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=7)
    assert len(attempt.questions) == bank.questions_per_attempt
    for aq in attempt.questions:
        assert sorted(aq.choice_order) == sorted(c.id for c in aq.revision.choices)
    again = attempts.start_or_resume(trainee, bank)
    assert again.id == attempt.id, "an open attempt is resumed, not replaced"


def test_seeded_draw_is_reproducible(setup, tmp_path):
    """The same seed on the same bank draws the same questions in the same order."""
    bank, trainee = setup
    other = factories.user("o@x.test")
    a = attempts.start_or_resume(trainee, bank, seed=99)
    b = attempts.start_or_resume(other, bank, seed=99)
    assert [(q.revision_id, q.choice_order) for q in a.questions] == [
        (q.revision_id, q.choice_order) for q in b.questions
    ]


def test_all_correct_scores_100_and_passes(setup):
    """Answers saved one by one are scored on submit from the stored revisions."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=1)
    answer_correctly(attempt)
    assert attempts.submit(attempt.id)
    attempt = db.session.get(Attempt, attempt.id)
    assert (attempt.state, attempt.score, attempt.passed) == ("submitted", 100.0, True)


def test_unanswered_items_score_zero_and_get_a_response_row(setup):
    """Submitting with nothing answered scores 0 and records every item as unanswered."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=1)
    attempts.submit(attempt.id)
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == 0 and attempt.passed is False
    rows = db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)).all()
    assert len(rows) == bank.questions_per_attempt
    assert all(r.answered_at is None and r.score == 0 for r in rows)


def test_changing_an_answer_keeps_one_response(setup):
    """Saving again replaces the answer; clearing removes it."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=3)
    aq = attempt.questions[0]
    first, second = aq.choice_order[0], aq.choice_order[1]
    attempts.save_answer(attempt.id, 0, {first})
    attempts.save_answer(attempt.id, 0, {second})
    responses = db.session.scalars(select(Response).where(Response.attempt_question_id == aq.id)).all()
    assert len(responses) == 1 and responses[0].choice_ids == {second}
    attempts.save_answer(attempt.id, 0, set())
    assert db.session.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == attempt.id)) == 0


def test_answer_must_belong_to_the_question(setup):
    """A choice id from another question is refused and nothing is stored."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=3)
    foreign = attempt.questions[1].choice_order[0]
    with pytest.raises(ValueError):
        attempts.save_answer(attempt.id, 0, {foreign})
    with pytest.raises(ValueError):
        attempts.save_answer(attempt.id, 99, set())
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_single_answer_questions_take_one_choice(setup):
    """Two choices on a single-answer question are refused."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=3)
    single = next(aq for aq in attempt.questions if aq.revision.type != "multiple")
    with pytest.raises(ValueError):
        attempts.save_answer(attempt.id, single.position, set(single.choice_order[:2]))


def test_time_limit_refuses_late_answers_and_submits_what_was_saved(setup):
    """After expiry an answer is refused and the attempt is scored with the saved answers."""
    bank, trainee = setup
    start = utcnow()
    attempt = attempts.start_or_resume(trainee, bank, now=start, seed=5)
    aq = attempt.questions[0]
    correct = {c.id for c in aq.revision.choices if c.is_correct}
    attempts.save_answer(attempt.id, 0, correct, now=start + dt.timedelta(minutes=9))
    late = start + dt.timedelta(minutes=10, seconds=1)
    second = attempt.questions[1]
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_answer(attempt.id, 1, {c.id for c in second.revision.choices if c.is_correct}, now=late)
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.state == "submitted" and attempt.submit_reason == "time_up"
    assert attempt.submitted_at == attempt.expires_at
    assert attempt.score == pytest.approx(100 / bank.questions_per_attempt)


def test_expired_attempts_close_when_the_trainee_returns(setup):
    """An abandoned attempt past its limit is submitted the next time the trainee shows up."""
    bank, trainee = setup
    start = utcnow() - dt.timedelta(hours=1)
    attempt = attempts.start_or_resume(trainee, bank, now=start, seed=5)
    attempts.close_expired(trainee)
    assert db.session.get(Attempt, attempt.id).state == "submitted"


def test_attempt_limit(setup):
    """The bank's attempt limit is enforced on the server."""
    bank, trainee = setup
    now = utcnow()
    for i in range(bank.attempt_limit):
        attempt = attempts.start_or_resume(trainee, bank, now=now, seed=i)
        answer_correctly(attempt, now=now)
        attempts.submit(attempt.id, now=now)
    with pytest.raises(attempts.AttemptLimitReached):
        attempts.start_or_resume(trainee, bank, now=now)


def test_cooldown_after_a_failed_attempt(setup):
    """After a fail the trainee waits the cooldown; after a pass there is no wait."""
    bank, trainee = setup
    now = utcnow()
    attempt = attempts.start_or_resume(trainee, bank, now=now, seed=1)
    attempts.submit(attempt.id, now=now)  # nothing answered: fails
    with pytest.raises(attempts.CooldownActive) as info:
        attempts.start_or_resume(trainee, bank, now=now + dt.timedelta(minutes=29))
    assert info.value.until == now + dt.timedelta(minutes=30)
    attempt = attempts.start_or_resume(trainee, bank, now=now + dt.timedelta(minutes=30), seed=2)
    answer_correctly(attempt, now=now + dt.timedelta(minutes=31))
    attempts.submit(attempt.id, now=now + dt.timedelta(minutes=31))
    assert attempts.start_or_resume(trainee, bank, now=now + dt.timedelta(minutes=32)).is_open


def test_a_submit_after_the_time_limit_is_time_up_whoever_asks(setup):
    """A trainee's own submit that arrives after the limit is recorded as time up, dated at the
    limit; one claimed for another trainee claims nothing and leaves the attempt open."""
    bank, trainee = setup
    start = utcnow()
    attempt = attempts.start_or_resume(trainee, bank, now=start, seed=6)
    assert attempts.submit(attempt.id, now=start + dt.timedelta(minutes=1), user_id=trainee.id + 1000) is False
    assert db.session.get(Attempt, attempt.id).is_open
    assert attempts.submit(attempt.id, now=start + dt.timedelta(minutes=12), user_id=trainee.id) is True
    attempt = db.session.get(Attempt, attempt.id)
    assert (attempt.submit_reason, attempt.submitted_at) == ("time_up", attempt.expires_at)


def test_double_submit_scores_once(setup):
    """A second submit changes nothing: same score, same time, reported as not done."""
    bank, trainee = setup
    attempt = attempts.start_or_resume(trainee, bank, seed=1)
    answer_correctly(attempt)
    assert attempts.submit(attempt.id) is True
    first = db.session.get(Attempt, attempt.id)
    snapshot = (first.score, first.submitted_at, first.passed)
    assert attempts.submit(attempt.id) is False
    again = db.session.get(Attempt, attempt.id)
    assert (again.score, again.submitted_at, again.passed) == snapshot
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_answer(again.id, 0, set())


def test_concurrent_submits_score_once(app, tmp_path):
    """Eight threads submitting the same attempt at once: exactly one wins."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("race@x.test")
        attempt = attempts.start_or_resume(trainee, bank, seed=1)
        answer_correctly(attempt)
        attempt_id = attempt.id
        db.session.remove()
    results, barrier = [], threading.Barrier(8)

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(attempts.submit(attempt_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).score == 100.0
        rows = db.session.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == attempt_id))
        assert rows == bank_size(app)


def bank_size(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AttemptQuestion))


def test_one_open_attempt_per_bank_even_when_started_twice_at_once(app, tmp_path):
    """Two simultaneous starts give the same attempt (the partial unique index decides)."""
    with app.app_context():
        bank_id = factories.tiny_bank(tmp_path).id
        user_id = factories.user("twice@x.test").id
        db.session.remove()
    ids, barrier = [], threading.Barrier(4)

    def worker():
        with app.app_context():
            from quizapp.models import Bank, User

            barrier.wait()
            ids.append(attempts.start_or_resume(db.session.get(User, user_id), db.session.get(Bank, bank_id)).id)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
