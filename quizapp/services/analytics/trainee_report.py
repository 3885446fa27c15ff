"""What a supervisor sees about one trainee beyond certification: scores over time, sub-topic strengths."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Attempt, AttemptQuestion, AttemptState, Bank, QuestionRevision, Response, Subtopic, User
from .charts import Series


@dataclass(frozen=True)
class SubtopicStrength:
    bank: str
    subtopic: str
    items: int
    score: float  # percent


def history_series(attempts: list[Attempt]) -> list[Series]:
    by_bank: dict[str, list] = defaultdict(list)
    for a in attempts:
        if a.state == AttemptState.SUBMITTED and a.score is not None:
            by_bank[a.bank.title].append((a.submitted_at, a.score))
    return [Series(title, sorted(points)) for title, points in sorted(by_bank.items())]


def subtopic_strengths(user: User) -> list[SubtopicStrength]:
    """Mean item score per sub-topic over all submitted attempts, weakest first (one query)."""
    rows = db.session.execute(
        select(Bank.title, Subtopic.title, func.count(Response.id), func.avg(Response.score))
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
        .join(QuestionRevision, QuestionRevision.id == AttemptQuestion.revision_id)
        .join(Subtopic, Subtopic.id == QuestionRevision.subtopic_id)
        .join(Bank, Bank.id == Subtopic.bank_id)
        .where(Attempt.user_id == user.id, Attempt.state == AttemptState.SUBMITTED)
        .group_by(Bank.title, Subtopic.title)
    ).all()
    out = [SubtopicStrength(bank, sub, n, round(100 * float(avg or 0), 1)) for bank, sub, n, avg in rows]
    return sorted(out, key=lambda s: (s.score, s.bank, s.subtopic))
