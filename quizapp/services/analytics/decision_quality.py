"""Decision quality at a bank's pass mark, from a stored calibration (``flask items calibrate``).

The calibration's difficulties are taken as true (questions without a usable estimate get their
label's value, as in the draw), abilities are normal with the calibration's mean and true
spread, and simulated trainees sit forms drawn by the app's own draw and judged by its own pass
rule (``form_simulation.decision_quality``). Two figures per bank:

- the standard error of measurement near the pass mark: the SD, in points, of the score of a
  trainee whose expected score over the bank is exactly the pass mark, over forms and answers;
- classification consistency: the share of trainees who would get the same pass/fail on a
  second random form (and Cohen's kappa, the agreement beyond what chance alone gives).
"""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import CalibrationRun, ItemCalibration, Question, QuestionRevision, Subtopic
from ..quiz import attempts
from . import form_simulation

TRAINEES = 2000  # simulated trainees, each sitting two forms


def assess(run: CalibrationRun, trainees: int = TRAINEES, seed: int = 1) -> CalibrationRun:
    """Fill the run's decision-quality figures at its bank's pass mark; commits."""
    bank = run.bank
    pool = attempts.candidates(bank)
    if not pool or run.ability_mean is None or run.ability_sd is None:
        return run
    estimated = dict(
        db.session.execute(
            select(ItemCalibration.revision_id, ItemCalibration.difficulty).where(
                ItemCalibration.run_id == run.id, ItemCalibration.difficulty.is_not(None)
            )
        ).all()
    )
    truth = {c.revision_id: estimated.get(c.revision_id, c.difficulty) for c in pool}
    critical = set(
        db.session.scalars(
            select(QuestionRevision.id)
            .join(Question, Question.id == QuestionRevision.question_id)
            .join(Subtopic, Subtopic.id == QuestionRevision.subtopic_id)
            .where(Question.bank_id == bank.id, QuestionRevision.critical | Subtopic.critical)
        )
    )
    quality = form_simulation.decision_quality(
        pool,
        truth,
        critical,
        bank.questions_per_attempt,
        bank.pass_mark,
        bank.critical_min,
        run.ability_mean,
        run.ability_sd,
        trainees=trainees,
        seed=seed,
    )
    run.pass_mark, run.sem, run.consistency, run.kappa = (
        quality.pass_mark,
        quality.sem,
        quality.consistency,
        quality.kappa,
    )
    db.session.commit()
    return run
