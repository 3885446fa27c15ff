"""Which questions an attempt gets, and in which order.

Drawing is a pure function of the candidates and a seed, so that a draw can be reproduced
in tests and explained afterwards. Questions that share a clinical case are drawn as one
unit and shown together, in the author's order, so the case reads as a case.

Exposure control: a retake should test knowledge, not memory of the last form. Questions the
trainee has already been shown in the bank (``seen``, by question, across revisions) go to the
back of their sub-topic's queue, so a retake draws unseen questions within the same sub-topic
stratification as far as the bank allows, and only then repeats.

Difficulty balance: whether a trainee passes should depend on what they know, not on which form
they drew. Each candidate carries a difficulty (logits: the calibrated one where the question has
enough data, else its label's; see ``analytics.calibration.draw_difficulties``). After the
stratified draw, units are swapped for units of the same sub-topic, the same size and no more
often seen, until the form is as hard as the bank on average: with an ``anchor`` ability (the
pass mark's), the expected score there is within ``BALANCE_TOLERANCE`` of the bank's; without
one, the mean difficulty is within ``BALANCE_TOLERANCE`` logits. Sub-topic counts, case
grouping and exposure control are therefore exactly those of the unbalanced draw; among the
swaps that reach the tolerance one is taken at random, so forms stay varied and no question is
favoured; and a sub-topic swaps only when it has at least as many units left as the form took
from it, so balancing never leaves one question of a small sub-topic out of every form.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

BALANCE_TOLERANCE = 0.002  # per question: expected score (anchor) or logits (no anchor)
MAX_SWAPS = 60


@dataclass(frozen=True)
class Candidate:
    revision_id: int
    subtopic: str
    case: str | None
    question_type: str
    choice_ids: tuple[int, ...]  # in the author's order
    question_id: int | None = None  # the question across its revisions (for exposure control)
    difficulty: float = 0.0  # logits (higher: harder), for balancing forms


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
    anchor: float | None = None,
) -> list[DrawnQuestion]:
    """Draw up to ``count`` questions; with ``stratify``, sub-topics take turns so each is covered.

    A case unit is only taken whole and only when it fits in what is left of ``count``.
    Units holding fewer ``seen`` questions come first (random among equals). Then the form's
    difficulty is balanced (module doc). Option order is shuffled per question, except
    True/False, which keeps its natural order.
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

    if stratify:
        _balance(chosen, queues, candidates, seen, rng, anchor)
    rng.shuffle(chosen)
    drawn = []
    for unit in chosen:
        for c in unit:
            order = list(c.choice_ids)
            if c.question_type != "true_false":
                rng.shuffle(order)
            drawn.append(DrawnQuestion(c.revision_id, order))
    return drawn


def _balance(
    chosen: list[list[Candidate]],
    queues: list[list[list[Candidate]]],
    candidates: list[Candidate],
    seen: frozenset[int] | set[int],
    rng: random.Random,
    anchor: float | None,
) -> None:
    """Swap units (same sub-topic, same size, no more seen) until the form is as hard as the bank
    (module doc). Changes ``chosen`` and ``queues`` in place."""
    if not candidates or not chosen:
        return

    def value(c: Candidate) -> float:  # what must add up: difficulty, or expected loss at the anchor
        return c.difficulty if anchor is None else 1 / (1 + math.exp(anchor - c.difficulty))

    units = [u for queue in queues for u in queue] + chosen
    weight = {id(u): sum(value(c) for c in u) for u in units}
    exposure = {id(u): sum(c.question_id in seen for c in u) for u in units}
    bank_mean = sum(value(c) for c in candidates) / len(candidates)
    size = sum(len(u) for u in chosen)
    tolerance = BALANCE_TOLERANCE * size
    # Only sub-topics with at least as many units left as the form took may swap: in a smaller one,
    # balancing would leave the same question out of every form.
    taken = defaultdict(int)
    for u in chosen:
        taken[u[0].subtopic] += 1
    left = {unit[0].subtopic: queue for queue in queues for unit in queue[:1] if len(queue) >= taken[unit[0].subtopic]}
    gap = sum(weight[id(u)] for u in chosen) - bank_mean * size
    for _ in range(MAX_SWAPS):
        if abs(gap) <= tolerance:
            return
        swaps = [
            (abs(gap + weight[id(v)] - weight[id(u)]), i, j)
            for i, u in enumerate(chosen)
            for j, v in enumerate(left.get(u[0].subtopic, ()))
            if len(v) == len(u) and exposure[id(v)] <= exposure[id(u)]
        ]
        close = [s for s in swaps if s[0] <= tolerance]
        best = rng.choice(close) if close else min(swaps, default=None)
        if best is None or best[0] >= abs(gap):
            return
        _, i, j = best
        queue = left[chosen[i][0].subtopic]
        queue[j], chosen[i] = chosen[i], queue[j]
        gap = sum(weight[id(u)] for u in chosen) - bank_mean * size
