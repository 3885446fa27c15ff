"""A retake draws questions the trainee has not seen; an open attempt's keys never show elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Attempt, Bank, MemoryCard, PracticeItem, QuestionRevision, utcnow
from quizapp.services.learning import memory_schedule, practice
from quizapp.services.quiz import attempts

from . import factories
from .conftest import Browser, csrf_token

REFERENCE = [{"authors": "Haladyna TM", "year": 2002, "title": "Item-writing guidelines", "source": "AME 15:309-333"}]


def large_bank(tmp_path, subtopics: int = 5, per_subtopic: int = 20) -> Bank:
    """A bank of ``subtopics`` x ``per_subtopic`` true/false questions, 20 per attempt, no cooldown."""
    questions = [
        {
            "id": f"q-{s}-{n}",
            "type": "true_false",
            "subtopic": f"topic-{s}",
            "difficulty": "medium",
            "stem": f"Statement {n} of sub-topic {s}.",
            "answer": n % 2 == 0,
            "rationale": f"Rationale number {s}-{n}, long enough to teach the point of the statement.",
            "references": REFERENCE,
            "reviewed": "2026-11-30",
        }
        for s in range(subtopics)
        for n in range(per_subtopic)
    ]
    data = {
        "id": "large",
        "topic": "safety",
        "title": "Large bank",
        "version": 1,
        "pass_mark": 80,
        "questions_per_attempt": 20,
        "time_limit_minutes": 30,
        "attempt_limit": 6,
        "subtopics": [{"id": f"topic-{s}", "title": f"Topic {s}"} for s in range(subtopics)],
        "questions": questions,
    }
    folder = tmp_path / "large"
    folder.mkdir()
    with (folder / "large.yaml").open("w") as fh:
        YAML().dump(data, fh)
    factories.import_bank_dir(folder)
    return db.session.scalar(select(Bank).where(Bank.slug == "large"))


def _drawn_questions(attempt: Attempt) -> list[int]:
    return [db.session.get(QuestionRevision, aq.revision_id).question_id for aq in attempt.questions]


def _take(user, bank, now) -> list[int]:
    attempt = attempts.start_or_resume(user, bank, now=now)
    drawn = _drawn_questions(attempt)
    attempts.submit(attempt.id, now + dt.timedelta(minutes=1))
    return drawn


def test_a_retake_shares_no_question_with_the_first_attempt(ctx, tmp_path):
    """On a 100-question bank the second attempt draws 20 questions the first did not show."""
    bank = large_bank(tmp_path)
    trainee = factories.user("t@x.test")
    now = utcnow()
    first = _take(trainee, bank, now)
    second = _take(trainee, bank, now + dt.timedelta(minutes=5))
    assert len(first) == len(second) == 20
    assert not set(first) & set(second)


def test_retakes_use_the_whole_bank_before_repeating_and_keep_the_subtopic_mix(ctx, tmp_path):
    """Five attempts of 20 cover all 100 questions once, each with 4 per sub-topic; the sixth repeats."""
    bank = large_bank(tmp_path)
    trainee = factories.user("t@x.test")
    now = utcnow()
    seen: list[int] = []
    for k in range(5):
        drawn = _take(trainee, bank, now + dt.timedelta(minutes=5 * k))
        subtopics = {}
        for qid in drawn:
            rev = db.session.scalar(select(QuestionRevision).where(QuestionRevision.question_id == qid))
            subtopics[rev.subtopic_id] = subtopics.get(rev.subtopic_id, 0) + 1
        assert sorted(subtopics.values()) == [4, 4, 4, 4, 4]
        seen += drawn
    assert len(seen) == len(set(seen)) == 100
    sixth = _take(trainee, bank, now + dt.timedelta(minutes=30))
    assert len(sixth) == 20, "an exhausted bank still gives a full attempt, from questions already seen"


def test_exposure_is_per_trainee(ctx, tmp_path):
    """Another trainee's attempt does not hold questions back from this trainee."""
    bank = large_bank(tmp_path, subtopics=1, per_subtopic=20)
    now = utcnow()
    one = _take(factories.user("a@x.test"), bank, now)
    two = _take(factories.user("b@x.test"), bank, now)
    assert sorted(one) == sorted(two)


# --- no answer leaks while an attempt is open --------------------------------------------


@pytest.fixture
def open_attempt(app, tmp_path):
    """A trainee with an open attempt on the tiny bank (every one of its questions is in the attempt)."""
    with app.app_context():
        text = (factories.DATA / "tiny_bank.yaml").read_text().replace("cooldown_minutes: 30", "cooldown_minutes: 0")
        bank = factories.tiny_bank(tmp_path, text.replace("questions_per_attempt: 5", "questions_per_attempt: 6"))
        trainee = factories.user("t@x.test")
        attempt = attempts.start_or_resume(trainee, bank)
        held = _drawn_questions(attempt)
        revisions = db.session.scalars(select(QuestionRevision).where(QuestionRevision.question_id.in_(held))).all()
        secrets = [r.rationale for r in revisions] + [c.feedback for r in revisions for c in r.choices if c.feedback]
        facts = {
            "trainee_id": trainee.id,
            "bank": bank.slug,
            "attempt_id": attempt.id,
            "held": held,
            "secrets": secrets,
        }
        db.session.remove()
    return facts


def _shows_a_key(html: str, secrets: list[str]) -> bool:
    return "Correct answer" in html or "Why:" in html or any(s in html for s in secrets)


def _practice_start(b: Browser, data: dict):
    token = csrf_token(b.get("/trainee/practice").get_data(as_text=True))
    return b.client.post("/trainee/practice/start", data={**data, "csrf_token": token}, follow_redirects=True)


def test_practice_refuses_the_questions_of_an_open_attempt(app, open_attempt):
    """Practice on the bank serves none of the attempt's questions and says why."""
    b = Browser(app.test_client())
    b.login("t@x.test")
    page = _practice_start(b, {"bank": open_attempt["bank"]}).get_data(as_text=True)
    assert "in the quiz attempt you have open" in page
    assert not _shows_a_key(page, open_attempt["secrets"])
    with app.app_context():
        assert db.session.scalar(select(PracticeItem.id)) is None


def test_review_due_never_serves_an_open_attempts_question(app, open_attempt):
    """With every held question due for review, "Review due" serves none of them."""
    with app.app_context():
        past = utcnow() - dt.timedelta(days=3)
        memory_schedule.record_reviews(open_attempt["trainee_id"], [(q, 0.0) for q in open_attempt["held"]], past)
        db.session.commit()
        assert db.session.query(MemoryCard).count() == len(open_attempt["held"])
    b = Browser(app.test_client())
    b.login("t@x.test")
    page = _practice_start(b, {"review": "y"}).get_data(as_text=True)
    assert not _shows_a_key(page, open_attempt["secrets"])
    with app.app_context():
        assert db.session.scalar(select(PracticeItem.id)) is None


def test_an_item_served_before_the_attempt_shows_no_key_until_it_is_submitted(app, tmp_path):
    """A practice item opened before the attempt cannot be answered or reveal its key while the attempt is open."""
    with app.app_context():
        text = (
            (factories.DATA / "tiny_bank.yaml")
            .read_text()
            .replace("questions_per_attempt: 5", "questions_per_attempt: 6")
        )
        bank = factories.tiny_bank(tmp_path, text)
        trainee = factories.user("t@x.test")
        item = practice.start_item(trainee, utcnow(), bank)
        attempt = attempts.start_or_resume(trainee, bank)
        revision = db.session.get(QuestionRevision, item.revision_id)
        secrets = [revision.rationale] + [c.feedback for c in revision.choices if c.feedback]
        item_id, attempt_id = item.id, attempt.id
    b = Browser(app.test_client())
    b.login("t@x.test")
    url = f"/trainee/practice/items/{item_id}"
    page = b.get(url).get_data(as_text=True)
    assert "in the quiz attempt you have open" in page
    answered = b.client.post(url, data={"answer": "0", "csrf_token": csrf_token(page)}, follow_redirects=True)
    assert not _shows_a_key(answered.get_data(as_text=True), secrets)
    with app.app_context():
        assert db.session.get(PracticeItem, item_id).answered_at is None
        attempts.submit(attempt_id)
    after = b.get(url).get_data(as_text=True)
    assert "in the quiz attempt you have open" not in after and "Check my answer" in after


def test_an_earlier_attempts_review_hides_the_keys_of_questions_in_the_open_attempt(app, tmp_path):
    """A submitted attempt's review withholds the key of any question the open retake repeats."""
    with app.app_context():
        text = (factories.DATA / "tiny_bank.yaml").read_text().replace("cooldown_minutes: 30", "cooldown_minutes: 0")
        bank = factories.tiny_bank(tmp_path, text)
        trainee = factories.user("t@x.test")
        first = attempts.start_or_resume(trainee, bank)
        first_id = first.id
        attempts.submit(first.id)
        second = attempts.start_or_resume(trainee, bank)  # the tiny bank has 6 questions: the retake repeats some
        repeated = set(_drawn_questions(second)) & set(_drawn_questions(db.session.get(Attempt, first_id)))
        assert repeated
        revisions = db.session.scalars(select(QuestionRevision).where(QuestionRevision.question_id.in_(repeated)))
        secrets = [r.rationale for r in revisions]
    b = Browser(app.test_client())
    b.login("t@x.test")
    page = b.get(f"/trainee/attempts/{first_id}/review").get_data(as_text=True)
    assert page.count("answer and feedback are hidden") == len(repeated)
    assert not any(s in page for s in secrets)
