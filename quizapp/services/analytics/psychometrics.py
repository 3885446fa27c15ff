"""Item and test statistics for banks whose attempts each draw a random subset of questions.

Pure functions over plain data; the caller (``item_report``) gathers it from the database.

Per item i, over the attempts that contained it (n_i of them):
- facility  p_i = mean item score (the proportion correct for 0/1 items; partial credit counts
  as its fraction).
- discrimination: the corrected point-biserial, the Pearson correlation between the item score
  x and the rest score r = mean score of the attempt's *other* items. The mean (not the sum) is
  used because attempts hold different items. None with fewer than 3 attempts or when x or r
  does not vary.
- distractors: for each wrong choice key, the share of those attempts that selected it; and
  the share that left the item unanswered.
- flags: "too easy" (p > 0.95), "too hard" (p < 0.2), "negative discrimination" (< 0),
  "low discrimination" (0 <= d < 0.1), "few responses" (n_i < 10).

Per bank, over attempts (attempt score = 100 x mean of its item scores): mean, median, sample
standard deviation (n - 1), and reliability as Cronbach's alpha in its average-covariance form

    alpha = k * c / (v + (k - 1) * c)

with k = the typical number of items per attempt (mean, rounded), v = the mean of the items'
sample variances and c = the mean over item pairs of their sample covariance, each computed over
the attempts containing the item or both items. On a complete matrix this equals the textbook
alpha = k / (k - 1) * (1 - sum var_i / var_total) exactly (sample variances throughout), and for
0/1 items that is KR-20. With random draws it uses every pair that was seen together.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class AttemptScores:
    attempt_id: int
    item_scores: dict[int, float]  # question id -> score fraction 0..1, for the items this attempt contained
    choices: dict[int, frozenset[str]]  # question id -> selected choice keys (empty: unanswered)


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    responses: int
    facility: float | None
    discrimination: float | None
    distractors: dict[str, float]
    unanswered: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class BankStats:
    attempts: int
    mean: float | None
    median: float | None
    sd: float | None
    reliability: float | None
    items_per_attempt: float | None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def flags_for(responses: int, facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    out = []
    if facility is not None and facility > 0.95:
        out.append("too easy")
    if facility is not None and facility < 0.2:
        out.append("too hard")
    if discrimination is not None and discrimination < 0:
        out.append("negative discrimination")
    elif discrimination is not None and discrimination < 0.1:
        out.append("low discrimination")
    if responses < 10:
        out.append("few responses")
    return tuple(out)


def item_statistics(
    attempts: Sequence[AttemptScores], keys: Mapping[int, tuple[list[str], frozenset[str]]]
) -> list[ItemStats]:
    """One ``ItemStats`` per question in ``keys``, in that order."""
    scores: dict[int, list[float]] = defaultdict(list)
    rests: dict[int, list[float]] = defaultdict(list)
    picked: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    blank: dict[int, int] = defaultdict(int)
    for a in attempts:
        total, count = sum(a.item_scores.values()), len(a.item_scores)
        for qid, x in a.item_scores.items():
            scores[qid].append(x)
            if count > 1:
                rests[qid].append((total - x) / (count - 1))
            selected = a.choices.get(qid, frozenset())
            if not selected:
                blank[qid] += 1
            for key in selected:
                picked[qid][key] += 1
    out = []
    for qid, (all_keys, correct) in keys.items():
        xs = scores.get(qid, [])
        n = len(xs)
        facility = sum(xs) / n if n else None
        rest = rests.get(qid, [])
        discrimination = pearson(xs, rest) if len(rest) == n else None
        distractors = {k: picked[qid].get(k, 0) / n for k in all_keys if k not in correct} if n else {}
        out.append(
            ItemStats(
                question_id=qid,
                responses=n,
                facility=facility,
                discrimination=discrimination,
                distractors=distractors,
                unanswered=blank[qid] / n if n else None,
                flags=flags_for(n, facility, discrimination),
            )
        )
    return out


def bank_statistics(attempts: Sequence[AttemptScores]) -> BankStats:
    totals = [100 * sum(a.item_scores.values()) / len(a.item_scores) for a in attempts if a.item_scores]
    if not totals:
        return BankStats(0, None, None, None, None, None)
    sizes = [len(a.item_scores) for a in attempts if a.item_scores]
    return BankStats(
        attempts=len(totals),
        mean=statistics.fmean(totals),
        median=statistics.median(totals),
        sd=statistics.stdev(totals) if len(totals) > 1 else None,
        reliability=alpha(attempts),
        items_per_attempt=statistics.fmean(sizes),
    )


def alpha(attempts: Sequence[AttemptScores]) -> float | None:
    """Cronbach's alpha from average item variance and average inter-item covariance (see module doc)."""
    usable = [a.item_scores for a in attempts if a.item_scores]
    if len(usable) < 2:
        return None
    k = round(statistics.fmean(len(s) for s in usable))
    if k < 2:
        return None
    # Running sums per item and per pair: one pass, O(attempts * k^2).
    n1: dict[int, int] = defaultdict(int)
    s1: dict[int, float] = defaultdict(float)
    s2: dict[int, float] = defaultdict(float)
    pn: dict[tuple[int, int], int] = defaultdict(int)
    px: dict[tuple[int, int], float] = defaultdict(float)
    py: dict[tuple[int, int], float] = defaultdict(float)
    pxy: dict[tuple[int, int], float] = defaultdict(float)
    for s in usable:
        items = sorted(s.items())
        for i, (qi, xi) in enumerate(items):
            n1[qi] += 1
            s1[qi] += xi
            s2[qi] += xi * xi
            for qj, xj in items[i + 1 :]:
                pair = (qi, qj)
                pn[pair] += 1
                px[pair] += xi
                py[pair] += xj
                pxy[pair] += xi * xj
    variances = [(s2[q] - s1[q] ** 2 / n1[q]) / (n1[q] - 1) for q in n1 if n1[q] >= 2]
    covariances = [(pxy[p] - px[p] * py[p] / pn[p]) / (pn[p] - 1) for p in pn if pn[p] >= 2]
    if not variances or not covariances:
        return None
    v = statistics.fmean(variances)
    c = statistics.fmean(covariances)
    denominator = v + (k - 1) * c
    if abs(denominator) < 1e-12:
        return None
    return k * c / denominator
