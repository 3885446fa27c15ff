"""How each question type is scored, and how an attempt's result follows from its items.

One scorer per question type, in a registry, so that a new type is one function. Every
scorer maps (selected choice keys, correct choice keys, all choice keys) to a fraction 0-1.

- ``single`` and ``true_false``: 1 when exactly the correct choice is selected, else 0.
- ``multiple``: right-minus-wrong, floored at zero:
  max(0, (correct selected - wrong selected) / number of correct choices).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

Scorer = Callable[[set[str], set[str], set[str]], float]


def score_single(selected: set[str], correct: set[str], choices: set[str]) -> float:
    return 1.0 if selected and selected == correct else 0.0


def score_multiple(selected: set[str], correct: set[str], choices: set[str]) -> float:
    if not correct:
        return 0.0
    right = len(selected & correct)
    wrong = len(selected - correct)
    return max(0.0, (right - wrong) / len(correct))


SCORERS: dict[str, Scorer] = {
    "single": score_single,
    "true_false": score_single,
    "multiple": score_multiple,
}


def score_item(question_type: str, selected: set[str], correct: set[str], choices: set[str]) -> float:
    """Score one answer; choices outside the question are ignored as if never ticked."""
    return SCORERS[question_type](selected & choices, correct, choices)


@dataclass(frozen=True)
class ItemResult:
    score: float  # fraction 0-1
    critical: bool


@dataclass(frozen=True)
class AttemptResult:
    score: float  # percent 0-100
    critical_score: float | None  # percent on critical items; None when there were none
    passed: bool

    score_passes: bool = False  # the total alone reached the pass mark

    @property
    def failed_on_critical(self) -> bool:
        return self.score_passes and not self.passed


def attempt_result(items: Iterable[ItemResult], pass_mark: int, critical_min: int) -> AttemptResult:
    """An attempt passes when the total reaches the pass mark AND critical items reach theirs."""
    items = list(items)
    if not items:
        return AttemptResult(score=0.0, critical_score=None, passed=False)
    score = round(100 * sum(i.score for i in items) / len(items), 2)
    critical = [i for i in items if i.critical]
    critical_score = round(100 * sum(i.score for i in critical) / len(critical), 2) if critical else None
    total_ok = score >= pass_mark
    critical_ok = critical_score is None or critical_score >= critical_min
    return AttemptResult(score, critical_score, total_ok and critical_ok, score_passes=total_ok)
