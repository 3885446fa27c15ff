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
from sqlalchemy import DateTime, Float, Insert, Integer, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import Bank, MemoryCard, Question, QuestionRevision, Subtopic
from ...statements import array_rows

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


def _to_fsrs(card: dict, card_id: int) -> Card:
    return Card(
        card_id=card_id,
        state=State(card["state"]),
        step=card["step"],
        stability=card["stability"],
        difficulty=card["difficulty"],
        due=_aware(card["due"]),
        last_review=_aware(card["last_review"]),
    )


_card = MemoryCard.__table__
_SCHEDULE_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses")
_LOCK_CARDS = (
    select(_card)
    .where(_card.c.user_id == bindparam("user_id"), _card.c.question_id.in_(bindparam("question_ids", expanding=True)))
    .with_for_update()
)


def _sqlite_upsert_cards() -> Insert:
    """SQLite: the cards written back in one statement, new ones inserted, known ones updated.
    RETURNING makes SQLAlchemy send the rows as one multi-row INSERT, not one INSERT per card."""
    statement = sqlite.insert(_card)
    return statement.on_conflict_do_update(
        index_elements=[_card.c.user_id, _card.c.question_id],
        set_={column: statement.excluded[column] for column in _SCHEDULE_COLUMNS},
    ).returning(_card.c.id)


_ARRAY_TYPES = {
    "question_id": Integer,
    "state": Integer,
    "step": Integer,
    "stability": Float,
    "difficulty": Float,
    "due": DateTime,
    "last_review": DateTime,
    "reviews": Integer,
    "lapses": Integer,
}


def _postgresql_upsert_cards() -> Insert:
    """PostgreSQL: the same upsert with each column sent as one array (``array_rows``): one
    statement text for any number of cards, prepared once per connection."""
    rows = array_rows("reviewed", _ARRAY_TYPES)
    statement = postgresql.insert(_card).from_select(
        ["user_id", *_ARRAY_TYPES],
        select(bindparam("user_id", type_=Integer), *(rows.c[name] for name in _ARRAY_TYPES)),
    )
    return statement.on_conflict_do_update(
        index_elements=[_card.c.user_id, _card.c.question_id],
        set_={column: statement.excluded[column] for column in _SCHEDULE_COLUMNS},
    )


_SQLITE_UPSERT_CARDS = _sqlite_upsert_cards()
_POSTGRESQL_UPSERT_CARDS = _postgresql_upsert_cards()


def _write_cards(user_id: int, cards: list[dict]) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        columns = {name: [card[name] for card in cards] for name in _ARRAY_TYPES}
        db.session.execute(_POSTGRESQL_UPSERT_CARDS, {"user_id": user_id, **columns})
    else:
        db.session.execute(_SQLITE_UPSERT_CARDS, [{"user_id": user_id, **card} for card in cards])


def record_reviews(user_id: int, scores: Iterable[tuple[int, float]], when: dt.datetime) -> None:
    """Apply one review per (question id, score) to the user's cards, in the caller's transaction.

    Two statements, however many cards: the cards are read and locked, so that two answers
    arriving together cannot overwrite each other, then all are written back in one upsert (new
    cards inserted, known ones updated). A card first created by another transaction between the
    two takes this review's values; practice never serves a question of an open attempt, so a
    submit cannot meet that race.
    """
    scores = list(scores)
    if not scores:
        return
    cards = {
        row.question_id: row._asdict()
        for row in db.session.execute(_LOCK_CARDS, {"user_id": user_id, "question_ids": [q for q, _ in scores]})
    }
    written: dict[int, dict] = {}
    at = _aware(when)
    for question_id, score in scores:
        before = written.get(question_id) or cards.get(question_id)
        # Card ids are ours to give: without one, fsrs makes one from the clock and sleeps 1 ms.
        card = _to_fsrs(before, question_id) if before else Card(card_id=question_id, due=at)
        rating = rating_for(score)
        card, _log = SCHEDULER.review_card(card, rating, review_datetime=at)
        written[question_id] = {
            "question_id": question_id,
            "state": int(card.state),
            "step": card.step,
            "stability": card.stability,
            "difficulty": card.difficulty,
            "due": _naive(card.due),
            "last_review": _naive(card.last_review),
            "reviews": (before["reviews"] if before else 0) + 1,
            "lapses": (before["lapses"] if before else 0) + int(rating == Rating.Again),
        }
    _write_cards(user_id, list(written.values()))


def due_count_column(user_id, now):
    """How many of the user's questions are due for review at ``now`` (retired ones never are), as
    a scalar subquery: a page can read it with its other figures in one statement."""
    return (
        select(func.count())
        .select_from(MemoryCard)
        .join(Question, Question.id == MemoryCard.question_id)
        .where(MemoryCard.user_id == user_id, MemoryCard.due <= now, Question.retired_at.is_(None))
        .scalar_subquery()
    )


def due_count(user_id: int, now: dt.datetime) -> int:
    return db.session.scalar(select(due_count_column(user_id, now))) or 0


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
