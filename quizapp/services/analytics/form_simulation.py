"""Are random forms equivalent? Simulated trainees through the app's own draw, from a bank file.

Item parameters are simulated from the bank's difficulty labels: a question's true Rasch
difficulty is its label's centre (``LABEL_CENTRES``) plus normal noise (``WITHIN_LABEL_SD``),
because an author's label predicts the empirical difficulty only roughly. With these values
today's label-blind draw reproduces the form spread an independent check reported (about 3.4
points). The *cut* is the ability whose expected score over the whole bank equals the pass
mark; a form's expected score is the expected percent right of a trainee at the cut on that
form. Its standard deviation over many draws is how much the form alone moves a borderline
trainee's score.

Four draws are compared: today's (sub-topics, cases and exposure only), balanced on the bank's
difficulty labels (what the app does before any calibration), balanced on a Rasch calibration
of ``trainees`` simulated first attempts (``rasch.fit``, as ``flask items calibrate`` would),
and balanced on the true values (the best balancing can do).

``decision_quality`` simulates trainees taking two independent forms: how often the two agree
on pass or fail, and the standard error of measurement of a trainee at the cut.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..banks.bank_schema import Bank
from ..quiz import drawing, scoring
from . import rasch, rasch_scale
from .calibration import draw_difficulties_from
from .psychometrics import Z95

LABEL_CENTRES = {"easy": -1.2, "medium": 0.0, "hard": 1.2}
WITHIN_LABEL_SD = 0.9
DEFAULT_DRAWS = 1000
DEFAULT_TRAINEES = 1000
FORM_SD_LIMIT = 1.0  # points: forms this close are equivalent for a pass/fail decision
DECISION_TRAINEES = 2000  # simulated trainees (two forms each) for `flask banks check --forms`


@dataclass(frozen=True)
class FormFigures:
    draw: str  # which difficulties the draw balanced on
    sd: float  # points: SD over draws of a form's expected score at the cut
    mean: float  # points: mean expected score at the cut
    subtopics: float  # mean number of sub-topics per form
    subtopic_counts_same: bool  # every form has the same sub-topic counts as today's draw with that seed
    cases_whole: bool  # every case appears whole or not at all
    max_exposure: float  # the largest share of forms that hold any one question


@dataclass(frozen=True)
class FormReport:
    bank: str
    draws: int
    trainees: int
    figures: list[FormFigures]
    recovery: float  # correlation of the simulated calibration's difficulties with the truth
    se_coverage: float  # share of questions whose 95 % interval holds the true difficulty
    decisions: list[tuple[str, DecisionQuality]]  # per draw (``decision_trainees`` > 0 only)

    def figure(self, draw: str) -> FormFigures:
        return next(f for f in self.figures if f.draw == draw)


def simulated_difficulties(bank: Bank, rng: random.Random) -> list[float]:
    """True difficulties (logits) for the bank's questions, from their labels."""
    return [LABEL_CENTRES[q.difficulty] + rng.gauss(0, WITHIN_LABEL_SD) for q in bank.questions]


def candidates(bank: Bank, difficulties: Sequence[float] | None = None) -> list[drawing.Candidate]:
    """The bank's questions as the draw sees them, question i as revision and question id i."""
    return [
        drawing.Candidate(
            revision_id=i,
            subtopic=q.subtopic,
            case=q.case,
            question_type=q.type,
            choice_ids=tuple(range(len(q.choices or [])) or (0, 1)),
            question_id=i,
            difficulty=0.0 if difficulties is None else difficulties[i],
        )
        for i, q in enumerate(bank.questions)
    ]


def _prob(theta: float, b: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(b - theta))


def form_balance(
    bank: Bank, draws: int = DEFAULT_DRAWS, trainees: int = DEFAULT_TRAINEES, seed: int = 1, decision_trainees: int = 0
) -> FormReport:
    """The form-difficulty figures of one bank file (module doc); with ``decision_trainees``, also
    the decision quality of today's draw and of the calibrated one (trainees normal around the cut)."""
    rng = random.Random(seed)
    truth = np.array(simulated_difficulties(bank, rng))
    cut = rasch_scale.ability_at(bank.pass_mark / 100, truth)
    labels = {i: q.difficulty for i, q in enumerate(bank.questions)}
    by_label = draw_difficulties_from(labels, {})
    label_values = [by_label[i] for i in range(len(bank.questions))]
    calibration = _simulated_calibration(bank, truth, label_values, cut, trainees, rng)
    estimated = {i: (e.difficulty, e.responses) for i, e in calibration.items.items() if e.difficulty is not None}
    calibrated = draw_difficulties_from(labels, estimated)
    ids = sorted(estimated)
    b_hat = np.array([estimated[i][0] for i in ids])
    se = np.array([calibration.items[i].se for i in ids])
    centred = truth[ids] - truth[ids].mean()
    recovery = float(np.corrcoef(b_hat, centred)[0, 1])
    coverage = float(np.mean(np.abs(b_hat - centred) <= Z95 * se))
    seeds = [rng.getrandbits(31) for _ in range(draws)]
    plain = [drawing.draw(candidates(bank), bank.questions_per_attempt, s) for s in seeds]
    variants = [
        ("today (sub-topics only)", None),
        ("balanced on labels", label_values),
        (f"balanced on a calibration of {trainees} trainees", [calibrated[i] for i in range(len(bank.questions))]),
        ("balanced on the true difficulties", list(truth)),
    ]
    figures = [_figures(bank, name, values, seeds, plain, truth, cut) for name, values in variants]
    decisions = []
    if decision_trainees:
        critical_subtopics = {t.id for t in bank.subtopics if t.critical}
        critical = {i for i, q in enumerate(bank.questions) if q.critical or q.subtopic in critical_subtopics}
        true_values = dict(enumerate(truth.tolist()))
        for name, values in (variants[0], variants[2]):
            quality = decision_quality(
                candidates(bank, values),
                true_values,
                critical,
                bank.questions_per_attempt,
                bank.pass_mark,
                bank.critical_min,
                cut,
                1.0,
                trainees=decision_trainees,
                seed=seed,
            )
            decisions.append((name, quality))
    return FormReport(bank.id, draws, trainees, figures, recovery, coverage, decisions)


def _simulated_calibration(
    bank: Bank, truth: np.ndarray, values: list[float], cut: float, trainees: int, rng: random.Random
) -> rasch.Calibration:
    """First attempts of ``trainees`` simulated trainees (abilities normal around the cut), calibrated."""
    np_rng = np.random.default_rng(rng.getrandbits(32))
    pool = candidates(bank, values)
    anchor = rasch_scale.ability_at(bank.pass_mark / 100, values)
    responses = []
    for theta in np_rng.normal(cut, 1.0, trainees):
        drawn = drawing.draw(pool, bank.questions_per_attempt, rng.getrandbits(31), anchor=anchor)
        shown = [d.revision_id for d in drawn]
        right = np_rng.random(len(shown)) < _prob(theta, truth[shown])
        responses.append(dict(zip(shown, right.astype(int).tolist(), strict=True)))
    return rasch.fit(responses)


def _figures(
    bank: Bank,
    name: str,
    values: list[float] | None,
    seeds: list[int],
    plain: list[list[drawing.DrawnQuestion]],
    truth: np.ndarray,
    cut: float,
) -> FormFigures:
    pool = candidates(bank, values)
    anchor = None if values is None else rasch_scale.ability_at(bank.pass_mark / 100, values)
    subtopic = [q.subtopic for q in bank.questions]
    cases: dict[str, set[int]] = {}
    for i, q in enumerate(bank.questions):
        if q.case:
            cases.setdefault(q.case, set()).add(i)
    scores, covered, exposure = [], [], Counter()
    same_counts, whole = True, True
    for seed, before in zip(seeds, plain, strict=True):
        form = [d.revision_id for d in drawing.draw(pool, bank.questions_per_attempt, seed, anchor=anchor)]
        scores.append(100 * float(_prob(cut, truth[form]).mean()))
        covered.append(len({subtopic[i] for i in form}))
        exposure.update(form)
        same_counts &= Counter(subtopic[i] for i in form) == Counter(subtopic[d.revision_id] for d in before)
        held = set(form)
        whole &= all(len(members & held) in (0, len(members)) for members in cases.values())
    return FormFigures(
        draw=name,
        sd=statistics.stdev(scores),
        mean=statistics.fmean(scores),
        subtopics=statistics.fmean(covered),
        subtopic_counts_same=same_counts,
        cases_whole=whole,
        max_exposure=max(exposure.values()) / len(seeds),
    )


@dataclass(frozen=True)
class DecisionQuality:
    pass_mark: int
    sem: float  # points: SD of a trainee-at-the-cut's score over forms and responses
    consistency: float  # share of trainees with the same decision on two independent forms
    kappa: float | None  # the same, beyond the agreement chance alone gives
    pass_rate: float  # share of simulated first forms passed
    trainees: int


def decision_quality(
    pool: list[drawing.Candidate],
    truth: dict[int, float],
    critical: set[int],
    questions: int,
    pass_mark: int,
    critical_min: int,
    ability_mean: float,
    ability_sd: float,
    trainees: int = 2000,
    seed: int = 1,
) -> DecisionQuality:
    """Decision quality at ``pass_mark`` for the bank whose draw candidates are ``pool``.

    ``truth`` maps each candidate's revision id to the difficulty the simulation treats as true
    (a calibration's estimates); ``critical`` names must-pass revisions. Simulated trainees with
    abilities normal(``ability_mean``, ``ability_sd``) each take two forms through the real draw
    (balanced on ``pool``'s difficulties) and the real pass rule.
    """
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    ids = [c.revision_id for c in pool]
    b = np.array([truth[i] for i in ids])
    position = {rid: j for j, rid in enumerate(ids)}
    cut = rasch_scale.ability_at(pass_mark / 100, b)
    anchor = rasch_scale.ability_at(pass_mark / 100, [c.difficulty for c in pool])

    def sit(theta: float) -> tuple[float, bool]:
        drawn = drawing.draw(pool, questions, rng.getrandbits(31), anchor=anchor)
        form = [position[d.revision_id] for d in drawn]
        right = np_rng.random(len(form)) < _prob(theta, b[form])
        items = [scoring.ItemResult(float(x), ids[j] in critical) for j, x in zip(form, right, strict=True)]
        result = scoring.attempt_result(items, pass_mark, critical_min)
        return result.score, result.passed

    at_cut = [sit(cut)[0] for _ in range(max(200, trainees // 4))]
    pairs = [(sit(t)[1], sit(t)[1]) for t in np_rng.normal(ability_mean, ability_sd, trainees)]
    agree = sum(a == c for a, c in pairs) / trainees
    first = sum(a for a, _ in pairs) / trainees
    second = sum(c for _, c in pairs) / trainees
    chance = first * second + (1 - first) * (1 - second)
    return DecisionQuality(
        pass_mark=pass_mark,
        sem=statistics.stdev(at_cut),
        consistency=agree,
        kappa=(agree - chance) / (1 - chance) if chance < 1 else None,
        pass_rate=first,
        trainees=trainees,
    )
