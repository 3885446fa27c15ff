"""Practice mode and the memory schedule: FSRS timing, due counts, mastery, and isolation from certification."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, Certificate, MemoryCard, PracticeItem, Question, QuestionRevision, utcnow
from quizapp.services.certification import evaluation
from quizapp.services.learning import memory_schedule, practice

from . import factories
from .conftest import Browser, csrf_token, recorded_statements
from .test_certification import pass_bank

T0 = dt.datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def world(ctx, tmp_path):
    bank = factories.tiny_bank(tmp_path)
    trainee = factories.user("t@x.test")
    ids = dict(db.session.execute(select(Question.external_id, Question.id)).all())
    return bank, trainee, ids


def test_wrong_answer_comes_back_sooner_than_a_right_one(world):
    """A miss is due again within minutes; a hit is pushed out by days, and further after a second hit."""
    _, trainee, ids = world
    memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-multi"], 1.0)], T0)
    db.session.commit()
    cards = {c.question_id: c for c in db.session.scalars(select(MemoryCard))}
    wrong, right = cards[ids["t-single"]], cards[ids["t-multi"]]
    assert wrong.due - T0 == dt.timedelta(minutes=10)
    assert right.due - T0 >= dt.timedelta(days=1)
    first_interval = right.due - T0
    memory_schedule.record_reviews(trainee.id, [(ids["t-multi"], 1.0)], right.due)
    db.session.commit()
    again = db.session.get(MemoryCard, right.id)
    assert again.due - again.last_review > first_interval
    assert (wrong.lapses, right.lapses, again.reviews) == (1, 0, 2)


def test_the_cards_are_written_by_one_statement_text_whatever_their_number(app, world):
    """PostgreSQL: the cards travel as arrays, so writing two cards and then three sends the same
    statement text, which the driver prepares once (a VALUES row per card made new text, parsed
    afresh, on every submit). The cards written are the ones reviewed, with their counts."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("array parameters are the PostgreSQL leg's (SQLite writes a VALUES row per card)")
    _, trainee, ids = world
    with recorded_statements(app) as seen:
        memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-multi"], 1.0)], T0)
        memory_schedule.record_reviews(
            trainee.id, [(ids["t-single"], 1.0), (ids["t-multi"], 1.0), (ids["t-tf"], 0.5)], T0
        )
    db.session.commit()
    writes = [statement for statement in seen if statement.startswith("INSERT INTO memory_card")]
    assert len(writes) == 2 and writes[0] == writes[1]
    reviews = dict(db.session.execute(select(MemoryCard.question_id, MemoryCard.reviews)).all())
    assert reviews == {ids["t-single"]: 2, ids["t-multi"]: 2, ids["t-tf"]: 1}


def test_partial_credit_is_rated_between_a_miss_and_a_hit(world):
    _, trainee, ids = world
    memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-multi"], 0.5), (ids["t-tf"], 1.0)], T0)
    db.session.commit()
    due = {c.question_id: c.due for c in db.session.scalars(select(MemoryCard))}
    assert due[ids["t-single"]] <= due[ids["t-multi"]] <= due[ids["t-tf"]]


def test_due_count_follows_the_clock(world):
    _, trainee, ids = world
    memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-multi"], 1.0)], T0)
    db.session.commit()
    assert memory_schedule.due_count(trainee.id, T0) == 0
    assert memory_schedule.due_count(trainee.id, T0 + dt.timedelta(minutes=11)) == 1
    assert memory_schedule.due_count(trainee.id, T0 + dt.timedelta(days=400)) == 2


def test_mastery_per_subtopic_counts_known_and_seen(world):
    """Tiny bank: 'general' has 4 live questions, 'thorax' 2. Two hits and one miss."""
    _, trainee, ids = world
    memory_schedule.record_reviews(
        trainee.id, [(ids["t-single"], 1.0), (ids["t-multi"], 1.0), (ids["t-case-1"], 0.0)], T0
    )
    db.session.commit()
    rows = {
        m.subtopic_title: (m.known, m.seen, m.total)
        for m in memory_schedule.mastery(trainee.id, T0 + dt.timedelta(hours=1))
    }
    assert rows == {"General": (2, 2, 4), "Thorax": (0, 1, 2)}
    later = {m.subtopic_title: m.known for m in memory_schedule.mastery(trainee.id, T0 + dt.timedelta(days=400))}
    assert later == {"General": 0, "Thorax": 0}, "once due again, a question no longer counts as known"


def test_a_submitted_attempt_updates_the_schedule(world):
    bank, trainee, _ = world
    attempt = pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=1))
    cards = db.session.scalars(select(MemoryCard).where(MemoryCard.user_id == trainee.id)).all()
    assert len(cards) == len(attempt.questions) == bank.questions_per_attempt
    assert all(c.reviews == 1 and c.lapses == 0 for c in cards)


def test_review_serves_the_weakest_subtopic_first(world):
    """Two questions due; the one in the sub-topic the trainee knows least comes first."""
    _, trainee, ids = world
    memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-case-1"], 0.0)], T0)
    memory_schedule.record_reviews(trainee.id, [(ids["t-multi"], 1.0), (ids["t-tf"], 1.0)], T0)  # 'General' is stronger
    db.session.commit()
    item = practice.start_item(trainee, T0 + dt.timedelta(hours=1), review=True)
    assert item.revision.question.external_id == "t-case-1"
    assert item.mode == "review"


def test_review_with_nothing_due_says_so(world):
    _, trainee, _ = world
    with pytest.raises(practice.NothingToPractise):
        practice.start_item(trainee, T0, review=True)


def test_practice_never_changes_certification(world):
    """Dozens of right answers in practice: no attempt, no certificate, the same status."""
    bank, trainee, _ = world
    factories.quiz_only_programme(trainee.clinic_id, factories.user("admin@x.test", role="admin", clinic_name=None))
    before = evaluation.refresh(trainee).status
    now = utcnow()
    for n in range(12):
        item = practice.start_item(trainee, now + dt.timedelta(minutes=n), bank)
        correct = [i for i, cid in enumerate(item.choice_order) if cid in item.revision.correct_choice_ids]
        practice.answer(
            item, correct if item.revision.type == "multiple" else correct[:1], now + dt.timedelta(minutes=n)
        )
    assert evaluation.refresh(trainee).status == before != evaluation.Status.CERTIFIED
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(select(func.count()).select_from(PracticeItem).where(PracticeItem.score == 1.0)) == 12


def _start(b: Browser, data: dict):
    page = b.get("/trainee/practice")
    token = csrf_token(page.get_data(as_text=True))
    return b.client.post("/trainee/practice/start", data={**data, "csrf_token": token})


def test_practice_over_http_shows_feedback_only_after_answering(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("t@x.test")
        factories.user("other@x.test")
    b = Browser(app.test_client())
    b.login("t@x.test")
    r = _start(b, {"bank": "tiny"})
    assert r.status_code == 302
    url = r.headers["Location"]
    item_id = int(url.rsplit("/", 1)[1])
    with app.app_context():
        item = db.session.get(PracticeItem, item_id)
        rev = db.session.get(QuestionRevision, item.revision_id)
        correct = [i for i, cid in enumerate(item.choice_order) if cid in rev.correct_choice_ids]
        wrong_feedback = [c.feedback for c in rev.choices if c.feedback]
        rationale = rev.rationale
    page = b.get(url).get_data(as_text=True)
    assert rationale not in page and not any(f in page for f in wrong_feedback)
    assert "Correct answer" not in page and "data-correct" not in page
    # Another trainee cannot see or answer it.
    other = Browser(app.test_client())
    other.login("other@x.test")
    assert other.get(url).status_code == 404
    token = csrf_token(page)
    assert (
        b.client.post(url, data={"answer": "99", "csrf_token": token}).status_code == 200
    )  # not an option: the form says so
    answer = {"answer": [str(p) for p in (correct if rev.type == "multiple" else correct[:1])], "csrf_token": token}
    assert b.client.post(url, data=answer).status_code == 302
    assert b.client.post(url, data={"answer": "0", "csrf_token": token}).status_code == 302  # a replay changes nothing
    done = b.get(url).get_data(as_text=True)
    assert "Correct" in done and "Why:" in done and "Reference" in done
    with app.app_context():
        item = db.session.get(PracticeItem, item_id)
        assert item.score == 1.0
        assert db.session.scalar(select(MemoryCard.reviews).where(MemoryCard.question_id == rev.question_id)) == 1


def test_missing_csrf_on_practice_is_400(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("t@x.test")
    b = Browser(app.test_client())
    b.login("t@x.test")
    assert b.client.post("/trainee/practice/start", data={"bank": "tiny"}).status_code == 400
    assert _start(b, {"bank": "no-such-bank"}).status_code == 404


def test_home_shows_review_due_and_supervisor_sees_mastery(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        trainee = factories.user("t@x.test")
        factories.user("s@x.test", role="supervisor")
        ids = dict(db.session.execute(select(Question.external_id, Question.id)).all())
        past = utcnow() - dt.timedelta(days=1)
        memory_schedule.record_reviews(trainee.id, [(ids["t-single"], 0.0), (ids["t-multi"], 1.0)], past)
        db.session.commit()
        trainee_id = trainee.id
    b = Browser(app.test_client())
    b.login("t@x.test")
    home = b.get("/trainee/").get_data(as_text=True)
    assert "Review due: 1 question" in home
    assert "1 question due for review" in b.get("/trainee/practice").get_data(as_text=True)
    s = Browser(app.test_client())
    s.login("s@x.test")
    page = s.get(f"/supervisor/trainees/{trainee_id}").get_data(as_text=True)
    section = page.split("Mastery from the review schedule", 1)[1]
    assert re.search(r"General</td><td>1 of 4", section)
