"""Rasch calibration of a bank from trainees' first attempts (``flask items calibrate``), and the
difficulties the draw balances on.

Scope: every clinic pooled (``clinic_id`` None; what the draw uses) or one clinic. Only each
trainee's first submitted attempt counts (later ones have seen questions), and an item is one
question revision. A response is right when it earned full credit (partial credit counts as
wrong: the Rasch model here is for right/wrong answers). The fit itself is ``rasch.fit``.

A run replaces the scope's previous run in one transaction. It is skipped when the responses
are exactly those of the stored run (``data_hash``), so a nightly rerun costs one read; two runs
racing for one scope end with one stored (the unique index), the other reported as ``raced``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    CalibrationRun,
    ItemCalibration,
    Question,
    QuestionRevision,
    Response,
    User,
)

# Where a question has too few responses, the draw uses its label's difficulty: the mean of
# the calibrated questions with that label (so both are on one scale), else these logits.
LABEL_LOGITS = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
MIN_PER_LABEL = 3  # calibrated questions a label needs before its mean replaces LABEL_LOGITS


@dataclass(frozen=True)
class Outcome:
    bank: str
    scope: str
    status: str  # "calibrated", "unchanged", "too few responses", "raced"
    run: CalibrationRun | None


def draw_difficulties_from(
    labels: Mapping[int, str], estimated: Mapping[int, tuple[float, int]], min_n: int = 50
) -> dict[int, float]:
    """Each item's difficulty for the draw: its estimate where it has ``min_n`` responses, else
    its label's value (``LABEL_LOGITS``, or the mean estimate of that label's calibrated items).

    ``labels`` maps item -> "easy" | "medium" | "hard"; ``estimated`` maps item -> (logits, n).
    """
    trusted = {i: b for i, (b, n) in estimated.items() if n >= min_n and i in labels}
    by_label: dict[str, list[float]] = defaultdict(list)
    for item, b in trusted.items():
        by_label[labels[item]].append(b)
    label_value = {
        label: (sum(by_label[label]) / len(by_label[label]) if len(by_label[label]) >= MIN_PER_LABEL else value)
        for label, value in LABEL_LOGITS.items()
    }
    return {item: trusted.get(item, label_value[label]) for item, label in labels.items()}


def draw_difficulties(bank: Bank) -> dict[int, float]:
    """Difficulties (by revision id) of the bank's live revisions, from the pooled calibration."""
    labels = dict(
        db.session.execute(
            select(QuestionRevision.id, QuestionRevision.difficulty)
            .join(
                Question,
                (Question.id == QuestionRevision.question_id) & (Question.current_number == QuestionRevision.number),
            )
            .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        ).all()
    )
    estimated = {
        rid: (b, n)
        for rid, b, n in db.session.execute(
            select(ItemCalibration.revision_id, ItemCalibration.difficulty, ItemCalibration.responses)
            .join(CalibrationRun, CalibrationRun.id == ItemCalibration.run_id)
            .where(
                CalibrationRun.bank_id == bank.id,
                CalibrationRun.clinic_id.is_(None),
                ItemCalibration.difficulty.is_not(None),
            )
        )
    }
    return draw_difficulties_from(labels, estimated, current_app.config["CALIBRATION_MIN_RESPONSES"])


def first_attempt_responses(bank: Bank, clinic_id: int | None) -> list[dict[int, int]]:
    """Per trainee's first submitted attempt on ``bank``: revision id -> 1 (full credit) or 0."""
    first = (
        select(func.min(Attempt.id))
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.bank_id == bank.id, Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.user_id)
    )
    if clinic_id is not None:
        first = first.where(User.clinic_id == clinic_id)
    rows: dict[int, dict[int, int]] = defaultdict(dict)
    for attempt_id, revision_id, score in db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.revision_id, Response.score)
        .outerjoin(Response, Response.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id.in_(first))
    ):
        rows[attempt_id][revision_id] = int(score is not None and score >= 1.0)
    return [rows[a] for a in sorted(rows)]


def _hash(responses: list[dict[int, int]]) -> str:
    digest = hashlib.sha256()
    for row in responses:
        digest.update(repr(sorted(row.items())).encode())
        digest.update(b";")
    return digest.hexdigest()


def latest(bank: Bank, clinic_id: int | None) -> CalibrationRun | None:
    query = select(CalibrationRun).where(CalibrationRun.bank_id == bank.id)
    query = query.where(
        CalibrationRun.clinic_id.is_(None) if clinic_id is None else CalibrationRun.clinic_id == clinic_id
    )
    return db.session.scalar(query)


def calibrate(bank: Bank, clinic_id: int | None = None) -> Outcome:
    """Calibrate ``bank`` in scope and store the run (replacing the scope's previous one); commits.

    Decision-quality figures are left empty here: ``decision_quality.assess`` fills them.
    """
    scope = "all clinics" if clinic_id is None else f"clinic {clinic_id}"
    responses = first_attempt_responses(bank, clinic_id)
    data_hash = _hash(responses)
    previous = latest(bank, clinic_id)
    if previous is not None and previous.data_hash == data_hash:
        return Outcome(bank.slug, scope, "unchanged", previous)
    from . import rasch  # numpy, loaded by the fit only: the draw reads this module in every web worker

    fitted = rasch.fit(responses)
    if fitted.persons < 2 or not any(e.difficulty is not None for e in fitted.items.values()):
        return Outcome(bank.slug, scope, "too few responses", previous)
    if previous is not None:
        db.session.execute(delete(CalibrationRun).where(CalibrationRun.id == previous.id))
        db.session.flush()
    run = CalibrationRun(
        bank_id=bank.id,
        clinic_id=clinic_id,
        data_hash=data_hash,
        persons=fitted.persons,
        extreme_persons=fitted.extreme_persons,
        iterations=fitted.iterations,
        converged=fitted.converged,
        ability_mean=fitted.ability_mean,
        ability_sd=fitted.ability_sd,
        separation_reliability=fitted.separation_reliability,
        items=[
            ItemCalibration(
                revision_id=rid,
                difficulty=e.difficulty,
                se=e.se,
                infit=e.infit,
                outfit=e.outfit,
                responses=e.responses,
                note=e.note,
            )
            for rid, e in sorted(fitted.items.items())
        ],
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Outcome(bank.slug, scope, "raced", latest(bank, clinic_id))
    return Outcome(bank.slug, scope, "calibrated", run)


@dataclass(frozen=True)
class ItemLine:
    external_id: str
    revision: int
    current: bool
    difficulty_label: str
    stem: str
    estimate: ItemCalibration


def item_lines(run: CalibrationRun) -> list[ItemLine]:
    """The run's items in the bank's order, with what the page shows beside each."""
    rows = db.session.execute(
        select(ItemCalibration, QuestionRevision, Question)
        .join(QuestionRevision, QuestionRevision.id == ItemCalibration.revision_id)
        .join(Question, Question.id == QuestionRevision.question_id)
        .where(ItemCalibration.run_id == run.id)
        .order_by(Question.position, QuestionRevision.number.desc())
    ).all()
    return [
        ItemLine(q.external_id, rev.number, rev.number == q.current_number, rev.difficulty, rev.stem, item)
        for item, rev, q in rows
    ]
