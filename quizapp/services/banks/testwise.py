"""How often a trainee who knows nothing passes a bank by reading cues in the wording.

Each strategy answers every question from its wording alone: the longest option, True to every
statement, the option most like the others, and so on. A simulated trainee takes the bank's
attempts in a row through the app's own draw (``quiz.drawing.draw``, with exposure control, so
a retake sees new questions as the real app does) and the app's own scoring
(``quiz.scoring``), with the bank's pass mark and must-pass items. The figure that matters is
the chance of passing within the attempt limit: a valid bank keeps it rare (< 5 %) for every
strategy, which is cured by wording without cues, never by a higher pass mark.

On select-all items a strategy ticks as many options as the bank's commonest key count (a
test-wise trainee learns it from feedback). Ties between options are broken at random.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..analytics import form_simulation, rasch_scale
from ..analytics.calibration import LABEL_LOGITS
from ..quiz import drawing, scoring
from . import item_writing
from .bank_schema import Bank, Question

TIE_DRAWS = 8  # tie-breaks sampled per question, strategy and simulation seed
DEFAULT_SIMULATIONS = 2000
DEFAULT_ATTEMPTS = 5  # for a bank without an attempt limit
PASS_LIMIT = 0.05  # a strategy may pass within the attempt limit in fewer than this share of trainees

OptionScore = Callable[[Question], list[float]]


@dataclass(frozen=True)
class Strategy:
    name: str
    option_score: OptionScore | None  # None: guess among the options at random
    says_true: Callable[[Question, random.Random], bool]  # the answer to a true/false statement


def _always(value: bool) -> Callable[[Question, random.Random], bool]:
    return lambda q, rng: value


STRATEGIES = (
    Strategy("longest option, True", lambda q: [len(c.text) for c in q.choices], _always(True)),
    Strategy("always True, else guess", None, _always(True)),
    Strategy("always False, else guess", None, _always(False)),
    Strategy("most like the other options", item_writing.convergence, _always(True)),
    Strategy("most words shared with the stem", item_writing.stem_overlap, _always(True)),
    Strategy(
        "avoid absolutes",
        lambda q: [-float(item_writing.has_any(c.text, item_writing.ABSOLUTES)) for c in q.choices],
        lambda q, rng: not item_writing.has_any(q.stem, item_writing.ABSOLUTES),
    ),
    Strategy(
        "prefer hedged options",
        lambda q: [float(item_writing.has_any(c.text, item_writing.HEDGES)) for c in q.choices],
        _always(True),
    ),
    Strategy(
        "most cautious wording",
        lambda q: [float(item_writing.caution(c.text)) for c in q.choices],
        lambda q, rng: item_writing.caution(q.stem) > 0,
    ),
    Strategy("random guessing", None, lambda q, rng: rng.random() < 0.5),
)


@dataclass(frozen=True)
class StrategyResult:
    strategy: str
    mean_score: float  # percent, over every simulated attempt
    pass_one: float  # chance that one attempt passes
    pass_within_limit: float  # chance that at least one of ``attempts`` passes
    attempts: int


def _critical_positions(bank: Bank) -> set[int]:
    critical_subtopics = {s.id for s in bank.subtopics if s.critical}
    return {i for i, q in enumerate(bank.questions) if q.critical or q.subtopic in critical_subtopics}


def _selections(q: Question, strategy: Strategy, picks: int, rng: random.Random) -> set[str]:
    if q.type == "true_false":
        return {"true" if strategy.says_true(q, rng) else "false"}
    ids = [c.id for c in q.choices]
    if strategy.option_score is None:
        return set(rng.sample(ids, 1 if q.type == "single" else min(picks, len(ids) - 1)))
    ranked = sorted(zip(strategy.option_score(q), [rng.random() for _ in ids], ids, strict=True), reverse=True)
    take = 1 if q.type == "single" else min(picks, len(ids) - 1)
    return {choice_id for _, _, choice_id in ranked[:take]}


def _score_table(bank: Bank, strategy: Strategy, picks: int, rng: random.Random) -> list[list[float]]:
    """For each question, the item scores this strategy gets under a few tie-breaks."""
    table = []
    for q in bank.questions:
        if q.type == "true_false":
            correct, choices = {"true" if q.answer else "false"}, {"true", "false"}
        else:
            correct, choices = set(q.correct), {c.id for c in q.choices}
        table.append(
            [
                scoring.score_item(q.type, _selections(q, strategy, picks, rng), correct, choices)
                for _ in range(TIE_DRAWS)
            ]
        )
    return table


def _candidates(bank: Bank) -> list[drawing.Candidate]:
    """As the app draws before any calibration: each question at its label's difficulty."""
    return form_simulation.candidates(bank, [LABEL_LOGITS[q.difficulty] for q in bank.questions])


def simulate(bank: Bank, simulations: int = DEFAULT_SIMULATIONS, seed: int = 1) -> list[StrategyResult]:
    """Run every strategy through ``simulations`` trainees, each taking the bank's attempt limit."""
    rng = random.Random(seed)
    attempts = bank.attempt_limit or DEFAULT_ATTEMPTS
    picks = Counter(len(q.correct) for q in bank.questions if q.type == "multiple").most_common(1)
    picks = picks[0][0] if picks else 1
    critical = _critical_positions(bank)
    candidates = _candidates(bank)
    anchor = rasch_scale.ability_at(bank.pass_mark / 100, [c.difficulty for c in candidates])
    tables = [(s, _score_table(bank, s, picks, rng)) for s in STRATEGIES]
    totals = {s.name: [0.0, 0, 0] for s in STRATEGIES}  # score sum, attempts passed, trainees passed
    for _ in range(simulations):
        seen: set[int] = set()
        passed_any = {s.name: False for s in STRATEGIES}
        for _ in range(attempts):
            drawn = drawing.draw(candidates, bank.questions_per_attempt, rng.getrandbits(31), seen=seen, anchor=anchor)
            positions = [d.revision_id for d in drawn]
            seen.update(positions)
            for strategy, table in tables:
                items = [scoring.ItemResult(rng.choice(table[p]), p in critical) for p in positions]
                result = scoring.attempt_result(items, bank.pass_mark, bank.critical_min)
                tally = totals[strategy.name]
                tally[0] += result.score
                if result.passed:
                    tally[1] += 1
                    passed_any[strategy.name] = True
        for name, passed in passed_any.items():
            totals[name][2] += passed
    runs = simulations * attempts
    return [
        StrategyResult(name, round(t[0] / runs, 1), t[1] / runs, t[2] / simulations, attempts)
        for name, t in totals.items()
    ]
