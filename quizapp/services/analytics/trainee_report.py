"""What a supervisor sees about one trainee: status, attempts, sessions, scores over time, strengths."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    Programme,
    QuestionRevision,
    Response,
    Subtopic,
    SupervisedSession,
    User,
    utcnow,
)
from ..certification import evaluation
from ..learning import memory_schedule, weak_spots
from . import charts
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


@dataclass(frozen=True)
class TraineeOverview:
    """Everything the supervisor's drill-down shows about one trainee."""

    result: evaluation.CertificationStatus
    attempts: list[Attempt]  # newest first
    logs: list[SupervisedSession]  # newest first
    accommodation: Accommodation | None
    programme: Programme
    chart: Markup
    strengths: list[SubtopicStrength]
    mastery: list[memory_schedule.Mastery]
    weak: list[weak_spots.WeakSpot]


def overview(person: User) -> TraineeOverview:
    """The drill-down for ``person``; refreshes their certification first so it shows the current status."""
    result = evaluation.refresh(person)
    attempts = list(
        db.session.scalars(select(Attempt).where(Attempt.user_id == person.id).order_by(Attempt.started_at.desc()))
    )
    logs = list(
        db.session.scalars(
            select(SupervisedSession)
            .where(SupervisedSession.trainee_id == person.id)
            .order_by(SupervisedSession.session_date.desc())
        )
    )
    return TraineeOverview(
        result=result,
        attempts=attempts,
        logs=logs,
        accommodation=db.session.scalar(select(Accommodation).where(Accommodation.user_id == person.id)),
        programme=evaluation.programme_for(person.clinic_id),
        chart=charts.score_history(history_series(attempts)),
        strengths=subtopic_strengths(person),
        mastery=[m for m in memory_schedule.mastery(person.id, utcnow()) if m.seen],
        weak=weak_spots.weakest(person.id),
    )
