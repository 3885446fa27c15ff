"""What a trainee keeps getting wrong: questions missed more than once, or missed the last time.

Both certification attempts and practice count. The supervisor's drill-down and the trainee's
practice page show the same list, and "Practise these" serves exactly its questions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import literal, select, union_all

from ...extensions import db
from ...models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    PracticeItem,
    Question,
    QuestionRevision,
    Response,
    Subtopic,
)

LIMIT = 12


@dataclasses.dataclass(frozen=True)
class WeakSpot:
    question_id: int
    bank: str
    subtopic: str
    stem: str
    misses: int
    answers: int
    missed_last: bool


def _answers(user_id: int):
    """Every scored answer of the trainee: (question, score, when, from an attempt or practice)."""
    from_attempts = (
        select(
            QuestionRevision.question_id.label("question_id"),
            Response.score.label("score"),
            Attempt.submitted_at.label("at"),
            literal("attempt").label("source"),
        )
        .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(QuestionRevision, QuestionRevision.id == AttemptQuestion.revision_id)
        .where(Attempt.user_id == user_id, Attempt.state == AttemptState.SUBMITTED, Response.score.is_not(None))
    )
    from_practice = (
        select(
            QuestionRevision.question_id,
            PracticeItem.score,
            PracticeItem.answered_at,
            literal("practice"),
        )
        .join(QuestionRevision, QuestionRevision.id == PracticeItem.revision_id)
        .where(PracticeItem.user_id == user_id, PracticeItem.answered_at.is_not(None))
    )
    return db.session.execute(union_all(from_attempts, from_practice)).all()


def weakest(user_id: int, limit: int = LIMIT) -> list[WeakSpot]:
    """The trainee's weak questions, most missed first (two queries, however long the history)."""
    history: dict[int, list[tuple[dt.datetime, float]]] = {}
    for question_id, score, at, _source in _answers(user_id):
        history.setdefault(question_id, []).append((at, score))
    chosen = {}
    for question_id, answers in history.items():
        answers.sort(key=lambda pair: pair[0])
        misses = sum(1 for _, score in answers if score < 1)
        missed_last = answers[-1][1] < 1
        if misses >= 2 or missed_last:
            chosen[question_id] = (misses, len(answers), missed_last)
    if not chosen:
        return []
    rows = db.session.execute(
        select(Question.id, Bank.title, Subtopic.title, QuestionRevision.stem)
        .join(
            QuestionRevision,
            (QuestionRevision.question_id == Question.id) & (QuestionRevision.number == Question.current_number),
        )
        .join(Subtopic, Subtopic.id == QuestionRevision.subtopic_id)
        .join(Bank, Bank.id == Question.bank_id)
        .where(Question.id.in_(chosen), Question.retired_at.is_(None))
    ).all()
    spots = [WeakSpot(qid, bank, sub, stem, *chosen[qid]) for qid, bank, sub, stem in rows]
    spots.sort(key=lambda s: (-s.misses, not s.missed_last, s.bank, s.subtopic, s.question_id))
    return spots[:limit]
