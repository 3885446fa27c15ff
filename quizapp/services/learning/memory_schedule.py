"""Each trainee's memory schedule (FSRS): what to review and when, and how much they know.

Every answered question, in practice or in a certification attempt, is one review. A wrong
answer brings the question back within minutes; a right one pushes it out by days, further
each time. "Known" means the schedule has graduated the question to review and it is not due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import case, func, select
from sqlalchemy.orm.attributes import flag_modified

from ...extensions import db
from ...models import Bank, MemoryCard, Question, QuestionRevision, Subtopic

# One short learning step: a miss comes back in the same sitting; a hit graduates at once.
SCHEDULER = Scheduler(
    learning_steps=(dt.timedelta(minutes=10),),
    relearning_steps=(dt.timedelta(minutes=10),),
    enable_fuzzing=False,
)


def rating_for(score: float) -> Rating:
    """Full marks is Good, partial credit Hard, nothing Again."""
    if score >= 1:
        return Rating.Good
    if score > 0:
        return Rating.Hard
    return Rating.Again


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None else None


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value is not None else None


def _to_fsrs(row: MemoryCard) -> Card:
    return Card(
        card_id=row.id,
        state=State(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=_aware(row.due),
        last_review=_aware(row.last_review),
    )


_SCHEDULE_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses")


def record_reviews(user_id: int, scores: Iterable[tuple[int, float]], when: dt.datetime) -> None:
    """Apply one review per (question id, score) to the user's cards, in the caller's transaction.

    Cards are locked so that two answers arriving together cannot overwrite each other.
    """
    scores = list(scores)
    if not scores:
        return
    existing = {
        c.question_id: c
        for c in db.session.scalars(
            select(MemoryCard)
            .where(MemoryCard.user_id == user_id, MemoryCard.question_id.in_([q for q, _ in scores]))
            .with_for_update()
        )
    }
    for question_id, score in scores:
        row = existing.get(question_id)
        card = _to_fsrs(row) if row else Card(due=_aware(when))
        rating = rating_for(score)
        card, _log = SCHEDULER.review_card(card, rating, review_datetime=_aware(when))
        if row is None:
            row = MemoryCard(user_id=user_id, question_id=question_id, reviews=0, lapses=0)
            db.session.add(row)
            existing[question_id] = row
        row.state = int(card.state)
        row.step = card.step
        row.stability = card.stability
        row.difficulty = card.difficulty
        row.due = _naive(card.due)
        row.last_review = _naive(card.last_review)
        row.reviews = (row.reviews or 0) + 1
        if rating == Rating.Again:
            row.lapses = (row.lapses or 0) + 1
        # The flush batches UPDATEs that set the same columns: a submit's twenty cards become one
        # executemany, not one statement per card (an unchanged value would drop out of its UPDATE).
        for column in _SCHEDULE_COLUMNS:
            flag_modified(row, column)


def due_count(user_id: int, now: dt.datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MemoryCard)
            .join(Question, Question.id == MemoryCard.question_id)
            .where(MemoryCard.user_id == user_id, MemoryCard.due <= now, Question.retired_at.is_(None))
        )
        or 0
    )


@dataclasses.dataclass(frozen=True)
class Mastery:
    bank_slug: str
    bank_title: str
    subtopic_id: int
    subtopic_title: str
    known: int
    seen: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.known / self.total if self.total else 0.0


def mastery(user_id: int, now: dt.datetime) -> list[Mastery]:
    """Per sub-topic: live questions, how many the trainee has met, and how many they know now."""
    current = (
        select(QuestionRevision.question_id, QuestionRevision.subtopic_id)
        .join(Question, (Question.id == QuestionRevision.question_id))
        .where(QuestionRevision.number == Question.current_number, Question.retired_at.is_(None))
        .subquery()
    )
    known = case((MemoryCard.state == int(State.Review), case((MemoryCard.due > now, 1), else_=0)), else_=0)
    rows = db.session.execute(
        select(
            Bank.slug,
            Bank.title,
            Subtopic.id,
            Subtopic.title,
            func.count(current.c.question_id),
            func.count(MemoryCard.id),
            func.coalesce(func.sum(known), 0),
        )
        .select_from(Subtopic)
        .join(Bank, Bank.id == Subtopic.bank_id)
        .join(current, current.c.subtopic_id == Subtopic.id)
        .outerjoin(MemoryCard, (MemoryCard.question_id == current.c.question_id) & (MemoryCard.user_id == user_id))
        .group_by(Bank.slug, Bank.title, Subtopic.id, Subtopic.title, Subtopic.position)
        .order_by(Bank.title, Subtopic.position)
    ).all()
    return [
        Mastery(slug, title, sid, stitle, int(k), int(seen), int(total))
        for slug, title, sid, stitle, total, seen, k in rows
    ]
