"""Item and test statistics for banks whose attempts each draw a random subset of questions.

Pure functions over plain data; the caller (``item_report``) gathers it from the database. An
*item* is one question revision: a corrected question is a new item, so its old responses are
never judged against new options.

Per item i, over the attempts that were shown it (n_i of them, blanks included):
- facility p_i = the mean item score (partial credit counts as its fraction; for 0/1 items the
  proportion correct), with a 95 % Wilson score interval. For partial credit the interval is
  conservative: a score in [0, 1] with mean p has a variance of at most p(1 - p).
- discrimination: the corrected point-biserial, the Pearson correlation between the item score
  x and the rest score r = mean score of the attempt's *other* items. The mean (not the sum) is
  used because attempts hold different items. None with fewer than 3 attempts or when x or r
  does not vary. Its 95 % interval is Fisher's: tanh(atanh(r) +- 1.96 / sqrt(n - 3)).
- distractors: for each wrong choice key, the share of those attempts that selected it; and
  the share that left the item unanswered.
- flags, only once an item has ``min_n`` responses (default ``DEFAULT_MIN_N``) and only when the
  whole interval is past the threshold: "too easy" (facility > 0.95), "too hard" (< 0.2),
  "negative discrimination" (< 0), "low discrimination" (< 0.1). With about 20 responses the
  discrimination's standard error is near 0.2, so an ungated flag is mostly noise.

Per bank, over attempts (attempt score = 100 x mean of its item scores): mean, median, sample
standard deviation (n - 1), and reliability as Cronbach's alpha in its average-covariance form

    alpha = k * c / (v + (k - 1) * c)

with k = the typical number of items per attempt (mean, rounded), v = the mean of the items'
sample variances and c = the mean over item pairs of their sample covariance, each computed over
the attempts containing the item or both items. On a complete matrix this equals the textbook
alpha = k / (k - 1) * (1 - sum var_i / var_total) exactly (sample variances throughout), and for
0/1 items that is KR-20. With random draws it uses every pair that was seen together, which
treats the random forms as one fixed form and so runs slightly optimistic; a percentile bootstrap
over attempts (``BOOTSTRAP_DRAWS`` resamples) gives its 95 % interval.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_MIN_N = 50  # responses an item needs before it is flagged (config: ITEM_FLAG_MIN_RESPONSES)
Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
BOOTSTRAP_DRAWS = 200
EASY, HARD, NEGATIVE, LOW = 0.95, 0.2, 0.0, 0.1


@dataclass(frozen=True)
class AttemptScores:
    attempt_id: int
    item_scores: dict[int, float]  # item (revision) id -> score fraction 0..1, for the items this attempt showed
    choices: dict[int, frozenset[str]]  # item id -> selected choice keys (empty: unanswered)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class ItemStats:
    item_id: int
    shown: int  # attempts that showed the item: the n of every figure
    answered: int
    facility: float | None  # mean item score (partial credit)
    facility_ci: Interval | None
    discrimination: float | None
    discrimination_ci: Interval | None
    distractors: dict[str, float]
    unanswered: float | None
    flags: tuple[str, ...]
    enough: bool  # shown >= min_n: flags are judged at all

    @property
    def status(self) -> str:
        """What the page says in the flags column."""
        if not self.enough:
            return f"not enough responses yet (n = {self.shown})"
        return ", ".join(self.flags)


@dataclass(frozen=True)
class BankStats:
    attempts: int
    mean: float | None
    median: float | None
    sd: float | None
    reliability: float | None
    reliability_ci: Interval | None
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


def wilson(p: float, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval for a proportion ``p`` observed over ``n`` trials (None for n = 0)."""
    if n <= 0:
        return None
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def fisher_z(r: float, n: int, z: float = Z95) -> Interval | None:
    """Fisher's interval for a correlation ``r`` over ``n`` pairs (None for n <= 3)."""
    if n <= 3:
        return None
    r = max(-0.999999, min(0.999999, r))
    centre, half = math.atanh(r), z / math.sqrt(n - 3)
    return Interval(math.tanh(centre - half), math.tanh(centre + half))


def flags_for(
    n: int,
    facility: Interval | None,
    discrimination: Interval | None,
    min_n: int = DEFAULT_MIN_N,
) -> tuple[str, ...]:
    """Flags whose whole 95 % interval is past the threshold, once there are ``min_n`` responses."""
    if n < min_n:
        return ()
    out = []
    if facility is not None and facility.low > EASY:
        out.append("too easy")
    if facility is not None and facility.high < HARD:
        out.append("too hard")
    if discrimination is not None and discrimination.high < NEGATIVE:
        out.append("negative discrimination")
    elif discrimination is not None and discrimination.high < LOW:
        out.append("low discrimination")
    return tuple(out)


def item_statistics(
    attempts: Sequence[AttemptScores],
    keys: Mapping[int, tuple[list[str], frozenset[str]]],
    min_n: int = DEFAULT_MIN_N,
) -> list[ItemStats]:
    """One ``ItemStats`` per item in ``keys``, in that order."""
    scores: dict[int, list[float]] = defaultdict(list)
    rests: dict[int, list[float]] = defaultdict(list)
    picked: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    blank: dict[int, int] = defaultdict(int)
    for a in attempts:
        total, count = sum(a.item_scores.values()), len(a.item_scores)
        for item, x in a.item_scores.items():
            scores[item].append(x)
            if count > 1:
                rests[item].append((total - x) / (count - 1))
            selected = a.choices.get(item, frozenset())
            if not selected:
                blank[item] += 1
            for key in selected:
                picked[item][key] += 1
    out = []
    for item, (all_keys, correct) in keys.items():
        xs = scores.get(item, [])
        n = len(xs)
        facility = sum(xs) / n if n else None
        rest = rests.get(item, [])
        discrimination = pearson(xs, rest) if len(rest) == n else None
        facility_ci = wilson(facility, n) if facility is not None else None
        discrimination_ci = fisher_z(discrimination, n) if discrimination is not None else None
        out.append(
            ItemStats(
                item_id=item,
                shown=n,
                answered=n - blank[item],
                facility=facility,
                facility_ci=facility_ci,
                discrimination=discrimination,
                discrimination_ci=discrimination_ci,
                distractors={k: picked[item].get(k, 0) / n for k in all_keys if k not in correct} if n else {},
                unanswered=blank[item] / n if n else None,
                flags=flags_for(n, facility_ci, discrimination_ci, min_n),
                enough=n >= min_n,
            )
        )
    return out


def bank_statistics(attempts: Sequence[AttemptScores], bootstrap_draws: int = BOOTSTRAP_DRAWS) -> BankStats:
    totals = [100 * sum(a.item_scores.values()) / len(a.item_scores) for a in attempts if a.item_scores]
    if not totals:
        return BankStats(0, None, None, None, None, None, None)
    sizes = [len(a.item_scores) for a in attempts if a.item_scores]
    matrix = _matrix(attempts)
    return BankStats(
        attempts=len(totals),
        mean=statistics.fmean(totals),
        median=statistics.median(totals),
        sd=statistics.stdev(totals) if len(totals) > 1 else None,
        reliability=_alpha(*matrix) if matrix else None,
        reliability_ci=_alpha_interval(*matrix, draws=bootstrap_draws) if matrix else None,
        items_per_attempt=statistics.fmean(sizes),
    )


def alpha(attempts: Sequence[AttemptScores]) -> float | None:
    """Cronbach's alpha from average item variance and average inter-item covariance (see module doc)."""
    matrix = _matrix(attempts)
    return _alpha(*matrix) if matrix else None


def _matrix(attempts: Sequence[AttemptScores]) -> tuple[np.ndarray, np.ndarray] | None:
    """Scores (0 where not shown) and the shown mask, attempts x items."""
    usable = [a.item_scores for a in attempts if a.item_scores]
    if len(usable) < 2:
        return None
    column = {item: j for j, item in enumerate(sorted({i for s in usable for i in s}))}
    x = np.zeros((len(usable), len(column)))
    m = np.zeros_like(x)
    for row, s in enumerate(usable):
        for item, value in s.items():
            x[row, column[item]] = value
            m[row, column[item]] = 1.0
    return x, m


def _alpha(x: np.ndarray, m: np.ndarray, w: np.ndarray | None = None) -> float | None:
    """Alpha with attempt ``w``eights (bootstrap multiplicities; None: each attempt once)."""
    w = np.ones(len(x)) if w is None else w
    sizes = m.sum(axis=1)
    k = round(float((w * sizes).sum() / w.sum()))
    if k < 2:
        return None
    xw, mw = x * w[:, None], m * w[:, None]
    n = mw.T @ m  # pairs: weighted count of attempts showing both
    sx = xw.T @ m  # [i, j]: sum of item i's scores over attempts showing i and j
    sxy = xw.T @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sxy - sx * sx.T / n) / (n - 1)
    diagonal = np.diag(n) >= 2
    upper = np.triu(n >= 2, k=1)
    if not diagonal.any() or not upper.any():
        return None
    v = float(np.diag(cov)[diagonal].mean())
    c = float(cov[upper].mean())
    denominator = v + (k - 1) * c
    if abs(denominator) < 1e-12:
        return None
    return k * c / denominator


def _alpha_interval(x: np.ndarray, m: np.ndarray, draws: int, seed: int = 0) -> Interval | None:
    """Percentile bootstrap over attempts (a fixed seed: the same data give the same interval)."""
    if draws <= 0 or len(x) < 3:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        w = np.bincount(rng.integers(0, len(x), len(x)), minlength=len(x)).astype(float)
        a = _alpha(x, m, w)
        if a is not None and math.isfinite(a):
            values.append(a)
    if len(values) < draws / 2:
        return None
    low, high = np.quantile(values, [0.025, 0.975])
    return Interval(float(low), float(high))
