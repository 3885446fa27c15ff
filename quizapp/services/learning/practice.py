"""Practice mode: one question at a time with immediate feedback, outside certification.

Practice never touches attempts, so it can never change a certification status; it only
feeds the memory schedule. Nor may it answer an open attempt: a question in the trainee's
unsubmitted attempt is never served, and an item served before the attempt began shows no key
until the attempt is submitted. Items record the revision and option order shown, and accept
one answer (a conditional update), so a double submit counts once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Bank, MemoryCard, PracticeItem, Question, QuestionRevision, User
from ..quiz import attempts, scoring
from . import memory_schedule


class NothingToPractise(Exception):
    """The chosen scope has no live questions (or, for review, nothing is due)."""


def _current_revisions(bank_id: int | None, subtopic_id: int | None):
    query = (
        select(QuestionRevision.id, QuestionRevision.question_id, QuestionRevision.subtopic_id)
        .join(Question, Question.id == QuestionRevision.question_id)
        .where(QuestionRevision.number == Question.current_number, Question.retired_at.is_(None))
        .order_by(Question.bank_id, Question.position, Question.id)  # a seeded ``random`` repeats its picks
    )
    if bank_id is not None:
        query = query.where(Question.bank_id == bank_id)
    if subtopic_id is not None:
        query = query.where(QuestionRevision.subtopic_id == subtopic_id)
    return db.session.execute(query).all()


def _last_question_id(user: User) -> int | None:
    return db.session.scalar(
        select(QuestionRevision.question_id)
        .join(PracticeItem, PracticeItem.revision_id == QuestionRevision.id)
        .where(PracticeItem.user_id == user.id)
        .order_by(PracticeItem.id.desc())
        .limit(1)
    )


def choose_revision(
    user: User,
    now: dt.datetime,
    bank_id: int | None = None,
    subtopic_id: int | None = None,
    review: bool = False,
    only: set[int] | None = None,
) -> int:
    """Pick the next question: due ones first (weakest sub-topic first), then unseen, then least known.

    ``only`` restricts the choice to those questions (the trainee's weak spots).
    """
    candidates = _current_revisions(bank_id, subtopic_id)
    if only is not None:
        candidates = [row for row in candidates if row.question_id in only]
    if not candidates:
        raise NothingToPractise("There are no questions here yet.")
    held = attempts.questions_in_open_attempts(user.id)
    candidates = [row for row in candidates if row.question_id not in held]
    if not candidates:
        raise NothingToPractise(
            "Every question here is in the quiz attempt you have open. Submit it first, then practise them."
        )
    by_question = {q: (rev, sub) for rev, q, sub in candidates}
    cards = {
        c.question_id: c
        for c in db.session.scalars(
            select(MemoryCard).where(MemoryCard.user_id == user.id, MemoryCard.question_id.in_(by_question))
        )
    }
    last = _last_question_id(user)
    due = [q for q in by_question if q in cards and cards[q].due <= now]  # in the candidates' order
    if review:
        if not due:
            raise NothingToPractise("Nothing is due for review. Well done.")
        weakness = {m.subtopic_id: m.percent for m in memory_schedule.mastery(user.id, now)}
        due.sort(key=lambda q: (q == last and len(due) > 1, weakness.get(by_question[q][1], 0.0), cards[q].due))
        return by_question[due[0]][0]
    pool = [q for q in due if q != last] or [q for q in by_question if q not in cards and q != last]
    if pool:
        return by_question[random.choice(pool)][0]
    ordered = sorted((q for q in by_question if q != last), key=lambda q: cards[q].due) or list(by_question)
    return by_question[ordered[0]][0]


def start_item(
    user: User,
    now: dt.datetime,
    bank: Bank | None = None,
    subtopic_id: int | None = None,
    review: bool = False,
    only: set[int] | None = None,
) -> PracticeItem:
    revision_id = choose_revision(user, now, bank.id if bank else None, subtopic_id, review, only)
    revision = db.session.get(QuestionRevision, revision_id)
    order = [c.id for c in revision.choices]
    random.shuffle(order)
    item = PracticeItem(
        user_id=user.id,
        revision_id=revision.id,
        bank_id=revision.question.bank_id,
        subtopic_id=subtopic_id,
        mode="review" if review else "practice",
        choice_order=order,
        shown_at=now,
    )
    db.session.add(item)
    db.session.commit()
    return item


def user_item(user: User, item_id: int) -> PracticeItem | None:
    return db.session.scalar(
        select(PracticeItem)
        .where(PracticeItem.id == item_id, PracticeItem.user_id == user.id)
        .options(selectinload(PracticeItem.revision).selectinload(QuestionRevision.choices))
    )


class AlreadyAnswered(Exception):
    pass


class HeldForOpenAttempt(Exception):
    """The item's question is in the trainee's open attempt: no answer, no key, until it is submitted."""


def is_held(item: PracticeItem) -> bool:
    return item.revision.question_id in attempts.questions_in_open_attempts(item.user_id)


def answer(item: PracticeItem, display_positions: list[int], now: dt.datetime) -> float:
    """Score and store the answer once, and feed the memory schedule. Raises ValueError for a bad answer."""
    if is_held(item):
        raise HeldForOpenAttempt
    order = item.choice_order
    if not display_positions or any(not 0 <= p < len(order) for p in display_positions):
        raise ValueError("choose an answer that is on the page")
    revision = item.revision
    if revision.type != "multiple" and len(set(display_positions)) > 1:
        raise ValueError("this question takes one answer")
    chosen = {order[p] for p in display_positions}
    key = {c.id: c.key for c in revision.choices}
    score = scoring.score_item(
        revision.type,
        {key[c] for c in chosen},
        {c.key for c in revision.choices if c.is_correct},
        set(key.values()),
    )
    won = db.session.execute(
        update(PracticeItem)
        .where(PracticeItem.id == item.id, PracticeItem.answered_at.is_(None))
        .values(answered_at=now, selections=sorted(chosen), score=score)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        raise AlreadyAnswered
    memory_schedule.record_reviews(item.user_id, [(revision.question_id, score)], now)
    db.session.commit()
    return score


@dataclasses.dataclass(frozen=True)
class FeedbackOption:
    text: str
    chosen: bool
    correct: bool
    feedback: str | None


def feedback_options(item: PracticeItem) -> list[FeedbackOption]:
    """Only for answered items: the key, the trainee's choice and each option's feedback."""
    assert item.answered_at is not None, "feedback exists only after an answer"
    by_id = {c.id: c for c in item.revision.choices}
    chosen = set(item.selections or [])
    return [
        FeedbackOption(by_id[i].text, i in chosen, by_id[i].is_correct, by_id[i].feedback) for i in item.choice_order
    ]


@dataclasses.dataclass(frozen=True)
class ItemPage:
    """What the practice page shows: the question, and its feedback once answered (never while held)."""

    item: PracticeItem
    revision: QuestionRevision
    options: list[str]  # in the order shown
    feedback: list[FeedbackOption] | None
    held: bool  # the question is in the trainee's open attempt
    next_scope: dict  # the form data that serves the next question in the same scope


def item_page(item: PracticeItem) -> ItemPage:
    revision = item.revision
    texts = {c.id: c.text for c in revision.choices}
    held = is_held(item)
    return ItemPage(
        item=item,
        revision=revision,
        options=[texts[i] for i in item.choice_order],
        feedback=feedback_options(item) if item.answered_at and not held else None,
        held=held,
        next_scope={
            "bank": "" if item.mode == "review" else revision.question.bank.slug,
            "subtopic": item.subtopic_id,
            "review": item.mode == "review",
        },
    )
