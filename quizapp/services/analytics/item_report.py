"""Item analysis for one bank: gathers responses in scope and hands them to ``psychometrics``.

Scope is one clinic (supervisors) or every clinic (admins). By default only each trainee's
first submitted attempt counts, as is usual for item statistics (later attempts have seen the
questions); ``first_only=False`` takes every submitted attempt.

Every figure is per question revision: a corrected question starts again from no responses,
and its earlier revisions keep their own figures and their own option texts
(``earlier=True`` lists them under the current one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    Choice,
    Question,
    QuestionRevision,
    Response,
    ResponseChoice,
    User,
)
from .psychometrics import DEFAULT_MIN_N, AttemptScores, BankStats, ItemStats, bank_statistics, item_statistics


@dataclass(frozen=True)
class ItemRow:
    external_id: str
    revision: int  # the revision's number
    current: bool  # the question's live revision (earlier ones only with ``earlier=True``)
    stem: str
    subtopic: str
    retired: bool
    choices: list[tuple[str, str, bool]]  # (key, text, correct) of this revision
    stats: ItemStats


@dataclass(frozen=True)
class Analysis:
    bank: Bank
    first_only: bool
    earlier: bool
    min_n: int
    items: list[ItemRow]
    summary: BankStats

    @property
    def flagged(self) -> list[ItemRow]:
        return [i for i in self.items if i.stats.flags]


def _attempt_ids(bank: Bank, clinic_id: int | None, first_only: bool):
    query = (
        select(Attempt.id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.bank_id == bank.id, Attempt.state == AttemptState.SUBMITTED)
    )
    if clinic_id is not None:
        query = query.where(User.clinic_id == clinic_id)
    if first_only:
        query = query.with_only_columns(func.min(Attempt.id)).group_by(Attempt.user_id)
    return query.subquery()


def analyse(
    bank: Bank, clinic_id: int | None, first_only: bool = True, earlier: bool = False, min_n: int | None = None
) -> Analysis:
    """Statistics per revision for ``bank`` in scope; ``min_n`` defaults to ITEM_FLAG_MIN_RESPONSES."""
    min_n = current_app.config.get("ITEM_FLAG_MIN_RESPONSES", DEFAULT_MIN_N) if min_n is None else min_n
    in_scope = _attempt_ids(bank, clinic_id, first_only)
    scope_ids = select(in_scope.c[0])

    scores: dict[int, dict[int, float]] = defaultdict(dict)
    for attempt_id, revision_id, score in db.session.execute(
        select(Response.attempt_id, AttemptQuestion.revision_id, Response.score)
        .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
        .where(Response.attempt_id.in_(scope_ids))
    ):
        scores[attempt_id][revision_id] = float(score or 0.0)

    chosen: dict[tuple[int, int], set[str]] = defaultdict(set)
    for attempt_id, revision_id, key in db.session.execute(
        select(Response.attempt_id, Choice.revision_id, Choice.key)
        .join(ResponseChoice, ResponseChoice.response_id == Response.id)
        .join(Choice, Choice.id == ResponseChoice.choice_id)
        .where(Response.attempt_id.in_(scope_ids))
    ):
        chosen[(attempt_id, revision_id)].add(key)

    query = (
        select(Question, QuestionRevision)
        .join(QuestionRevision, QuestionRevision.question_id == Question.id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.position, QuestionRevision.number.desc())
    )
    if not earlier:
        query = query.where(QuestionRevision.number == Question.current_number)
    questions = db.session.execute(query).all()
    revision_ids = [rev.id for _, rev in questions]
    choices: dict[int, list[Choice]] = defaultdict(list)
    for c in db.session.scalars(select(Choice).where(Choice.revision_id.in_(revision_ids)).order_by(Choice.position)):
        choices[c.revision_id].append(c)
    subtopics = {s.id: s.title for s in bank.subtopics}

    keys = {
        rev.id: ([c.key for c in choices[rev.id]], frozenset(c.key for c in choices[rev.id] if c.is_correct))
        for _, rev in questions
    }
    attempts = [
        AttemptScores(
            attempt_id=aid,
            item_scores=items,
            choices={rid: frozenset(chosen.get((aid, rid), ())) for rid in items},
        )
        for aid, items in sorted(scores.items())
    ]
    stats = {s.item_id: s for s in item_statistics(attempts, keys, min_n)}
    rows = [
        ItemRow(
            external_id=q.external_id,
            revision=rev.number,
            current=rev.number == q.current_number,
            stem=rev.stem,
            subtopic=subtopics.get(rev.subtopic_id, ""),
            retired=q.retired_at is not None,
            choices=[(c.key, c.text, c.is_correct) for c in choices[rev.id]],
            stats=stats[rev.id],
        )
        for q, rev in questions
        if rev.number == q.current_number or stats[rev.id].shown
    ]
    return Analysis(bank, first_only, earlier, min_n, rows, bank_statistics(attempts))


def busiest_bank_id(clinic_id: int | None) -> int | None:
    """The bank with the most submitted attempts in scope: the statistics page opens on it, not on an
    empty bank that happens to sort first."""
    query = (
        select(Attempt.bank_id, func.count(Attempt.id).label("n"))
        .where(Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.bank_id)
        .order_by(func.count(Attempt.id).desc(), Attempt.bank_id)
        .limit(1)
    )
    if clinic_id is not None:
        query = query.join(User, User.id == Attempt.user_id).where(User.clinic_id == clinic_id)
    row = db.session.execute(query).first()
    return row.bank_id if row else None
