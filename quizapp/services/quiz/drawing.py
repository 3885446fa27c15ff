"""Which questions an attempt gets, and in which order.

Drawing is a pure function of the candidates and a seed, so that a draw can be reproduced
in tests and explained afterwards. Questions that share a clinical case are drawn as one
unit and shown together, in the author's order, so the case reads as a case.

Exposure control: a retake should test knowledge, not memory of the last form. Questions the
trainee has already been shown in the bank (``seen``, by question, across revisions) go to the
back of their sub-topic's queue, so a retake draws unseen questions within the same sub-topic
stratification as far as the bank allows, and only then repeats.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    revision_id: int
    subtopic: str
    case: str | None
    question_type: str
    choice_ids: tuple[int, ...]  # in the author's order
    question_id: int | None = None  # the question across its revisions (for exposure control)


@dataclass(frozen=True)
class DrawnQuestion:
    revision_id: int
    choice_order: list[int]


def _units(candidates: list[Candidate]) -> list[list[Candidate]]:
    by_case: dict[str, list[Candidate]] = defaultdict(list)
    units: list[list[Candidate]] = []
    for c in candidates:
        if c.case is None:
            units.append([c])
        else:
            if c.case not in by_case:
                units.append(by_case[c.case])
            by_case[c.case].append(c)
    return units


def draw(
    candidates: list[Candidate],
    count: int,
    seed: int,
    stratify: bool = True,
    seen: frozenset[int] | set[int] = frozenset(),
) -> list[DrawnQuestion]:
    """Draw up to ``count`` questions; with ``stratify``, sub-topics take turns so each is covered.

    A case unit is only taken whole and only when it fits in what is left of ``count``.
    Units holding fewer ``seen`` questions come first (random among equals).
    Option order is shuffled per question, except True/False, which keeps its natural order.
    """
    rng = random.Random(seed)
    units = _units(candidates)
    rng.shuffle(units)
    if seen:
        units.sort(key=lambda unit: sum(c.question_id in seen for c in unit))  # stable: keeps the shuffle
    if stratify:
        pools: dict[str, list[list[Candidate]]] = defaultdict(list)
        for unit in units:
            pools[unit[0].subtopic].append(unit)
        order = sorted(pools)
        rng.shuffle(order)
        queues = [pools[s] for s in order]
    else:
        queues = [units]

    chosen: list[list[Candidate]] = []
    left = count
    while left > 0 and any(queues):
        progressed = False
        for queue in queues:
            fitting = next((u for u in queue if len(u) <= left), None)
            if fitting is None:
                continue
            queue.remove(fitting)
            chosen.append(fitting)
            left -= len(fitting)
            progressed = True
            if left == 0:
                break
        if not progressed:
            break

    rng.shuffle(chosen)
    drawn = []
    for unit in chosen:
        for c in unit:
            order = list(c.choice_ids)
            if c.question_type != "true_false":
                rng.shuffle(order)
            drawn.append(DrawnQuestion(c.revision_id, order))
    return drawn
