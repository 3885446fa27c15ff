"""The Rasch model fitted by conditional maximum likelihood (CML), for random forms. Pure: numpy only.

P(person v answers item i right) = 1 / (1 + exp(b_i - theta_v)). Given a person's raw score r on
the items they were shown, their responses no longer depend on theta: the conditional
likelihood of the response pattern is exp(-sum x_i b_i) / gamma_r(exp(-b)) over *their* items,
where gamma_r is the elementary symmetric function of order r. So each trainee contributes
through exactly the questions their form held: the planned missing data of random forms needs
no imputation and no assumption about the trainees' ability distribution, and the estimates are
consistent as the number of trainees grows (joint ML is not, on 20-item forms).

- Identification: difficulties sum to zero over the calibrated items (a logit scale centred on
  the bank's average question).
- Newton-Raphson on the concave conditional log-likelihood; the information matrix is the sum
  over persons of Cov(x | r), from leave-one-out and leave-two-out symmetric functions. Standard
  errors are the square roots of the diagonal of its pseudo-inverse (the covariance under the
  sum-zero constraint).
- Persons with a zero or perfect score carry no conditional information; items that every
  remaining person got right (or wrong) have no finite estimate. Both are set aside, repeatedly,
  before fitting, and reported.
- Person abilities are Warm's weighted likelihood estimates (finite for perfect scores too);
  their spread minus the mean squared standard error estimates the population's true spread,
  and the ratio of the two is the person separation reliability.
- Infit and outfit mean-squares per item (expected 1; above about 1.3 the item misfits, below
  about 0.7 it is over-predictable) from the residuals of persons with non-extreme scores.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MAX_ITERATIONS = 50
TOLERANCE = 1e-6  # largest change of a difficulty (logits) at convergence
MAX_STEP = 1.0  # a Newton step never moves a difficulty further than this (logits)


@dataclass(frozen=True)
class ItemEstimate:
    difficulty: float | None  # logits, sum-zero over the calibrated items; None: not estimable
    se: float | None
    infit: float | None
    outfit: float | None
    responses: int  # from persons with non-extreme scores
    note: str = ""  # why there is no estimate ("everyone right", "everyone wrong")


@dataclass(frozen=True)
class Calibration:
    items: dict[Hashable, ItemEstimate]
    persons: int  # persons whose responses informed the difficulties
    extreme_persons: int  # zero or perfect scores (set aside)
    iterations: int
    converged: bool
    ability_mean: float | None  # of every person's weighted likelihood estimate
    ability_sd: float | None  # the population's true spread (observed spread less estimation error)
    separation_reliability: float | None


def esf(eps: np.ndarray) -> np.ndarray:
    """Elementary symmetric functions gamma_0..gamma_K along the last axis of ``eps`` (... x K) -> ... x (K + 1).

    A padding entry of 0 leaves the functions unchanged, so rows may hold different item counts.
    """
    k = eps.shape[-1]
    items_first = np.moveaxis(eps, -1, 0).reshape(k, -1)  # contiguous rows: each step is one block
    gamma = np.zeros((k + 1, items_first.shape[1]))
    gamma[0] = 1.0
    for j in range(k):
        gamma[1 : j + 2] += items_first[j] * gamma[: j + 1]  # the product is a temporary: no aliasing
    return np.moveaxis(gamma.reshape(k + 1, *eps.shape[:-1]), 0, -1)


def _pick(table: np.ndarray, order: np.ndarray) -> np.ndarray:
    """table[v, order[v]] per row, 0 where the order is negative."""
    safe = np.clip(order, 0, table.shape[1] - 1)
    return np.where(order >= 0, np.take_along_axis(table, safe[:, None], axis=1)[:, 0], 0.0)


@dataclass
class _Forms:
    index: np.ndarray  # N x K item positions (-1: padding)
    x: np.ndarray  # N x K responses (0 for padding)
    valid: np.ndarray  # N x K bool
    raw: np.ndarray  # N raw scores


def _forms(rows: list[dict[int, int]]) -> _Forms:
    k = max(len(r) for r in rows)
    index = np.full((len(rows), k), -1)
    x = np.zeros((len(rows), k))
    for v, row in enumerate(rows):
        for j, (item, value) in enumerate(sorted(row.items())):
            index[v, j], x[v, j] = item, value
    valid = index >= 0
    return _Forms(index, x, valid, x.sum(axis=1).astype(int))


CHUNK = 256  # persons per block of the vectorised leave-two-out functions (bounds memory)


def _conditional(b: np.ndarray, forms: _Forms, hessian: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The gradient of the conditional log-likelihood and (with ``hessian``) the information matrix."""
    n, k = forms.index.shape
    eps = np.where(forms.valid, np.exp(-b[np.clip(forms.index, 0, None)]), 0.0)
    gradient = np.zeros(len(b))
    info = np.zeros((len(b), len(b))) if hessian else None
    eye = np.eye(k, dtype=bool)
    first, second = np.triu_indices(k, 1)
    for start in range(0, n, CHUNK):
        block = slice(start, start + CHUNK)
        e, raw, index, valid = eps[block], forms.raw[block], forms.index[block], forms.valid[block]
        rows = np.arange(len(e))
        gamma_r = esf(e)[rows, raw]
        # leave one out: row v, item j -> the functions of v's other items
        without_one = esf(np.where(eye, 0.0, e[:, None, :]))
        p = e * np.where(raw[:, None] >= 1, without_one[rows, :, np.clip(raw - 1, 0, None)], 0.0) / gamma_r[:, None]
        gradient += np.bincount(index[valid], (p - forms.x[block])[valid], minlength=len(b))
        if info is None:
            continue
        info[np.diag_indices(len(b))] += np.bincount(index[valid], (p * (1 - p))[valid], minlength=len(b))
        # leave two out, for every pair (a, c) of positions at once
        mask = np.ones((len(first), k), dtype=bool)
        mask[np.arange(len(first)), first] = False
        mask[np.arange(len(first)), second] = False
        without_two = esf(np.where(mask, e[:, None, :], 0.0))
        two = np.where(raw[:, None] >= 2, without_two[rows, :, np.clip(raw - 2, 0, None)], 0.0)
        joint = e[:, first] * e[:, second] * two / gamma_r[:, None]
        cov = joint - p[:, first] * p[:, second]
        both = valid[:, first] & valid[:, second]
        ia, ic = index[:, first][both], index[:, second][both]
        pairs = np.bincount(ia * len(b) + ic, cov[both], minlength=len(b) ** 2).reshape(len(b), len(b))
        info += pairs + pairs.T
    return gradient, info


def _trim(responses: Sequence[Mapping[Hashable, int]]) -> tuple[list[dict[Hashable, int]], dict[Hashable, str], int]:
    """Set aside extreme persons and items without variance, until neither is left."""
    rows = [dict(r) for r in responses if r]
    dropped: dict[Hashable, str] = {}
    while True:
        kept = [r for r in rows if 0 < sum(r.values()) < len(r)]
        right: dict[Hashable, int] = {}
        shown: dict[Hashable, int] = {}
        for r in kept:
            for item, x in r.items():
                shown[item] = shown.get(item, 0) + 1
                right[item] = right.get(item, 0) + x
        constant = {i: ("everyone right" if right[i] == shown[i] else "everyone wrong") for i in shown}
        constant = {i: why for i, why in constant.items() if right[i] in (0, shown[i])}
        if not constant:
            return kept, dropped, len([r for r in responses if r]) - len(kept)
        dropped.update(constant)
        rows = [{i: x for i, x in r.items() if i not in constant} for r in rows]
        rows = [r for r in rows if r]


def fit(responses: Sequence[Mapping[Hashable, int]]) -> Calibration:
    """Calibrate items from 0/1 responses, one mapping (item -> 0 or 1) per person's form."""
    responses = [r for r in responses if r]
    kept, dropped, extreme = _trim(responses)
    every_item = {i for r in responses for i in r}
    items = sorted({i for r in kept for i in r}, key=repr)
    if len(items) < 2 or not kept:
        note = {i: dropped.get(i, "not enough responses") for i in every_item}
        return Calibration(
            {i: ItemEstimate(None, None, None, None, 0, note[i]) for i in every_item},
            0,
            extreme,
            0,
            False,
            None,
            None,
            None,
        )
    position = {item: j for j, item in enumerate(items)}
    forms = _forms([{position[i]: int(x) for i, x in r.items()} for r in kept])
    b, info, iterations, converged = _newton(forms, _start(forms, len(items)))
    covariance = _pseudo_inverse(info)
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    infit, outfit = _fit_statistics(b, forms)
    counts = np.bincount(forms.index[forms.valid], minlength=len(items))
    estimates: dict[Hashable, ItemEstimate] = {
        item: ItemEstimate(float(b[j]), float(se[j]), infit[j], outfit[j], int(counts[j]))
        for item, j in position.items()
    }
    for item in every_item - set(position):
        estimates[item] = ItemEstimate(None, None, None, None, 0, dropped.get(item, "not enough responses"))
    mean, sd, reliability = _abilities(b, position, responses)
    return Calibration(estimates, len(kept), extreme, iterations, converged, mean, sd, reliability)


def _start(forms: _Forms, count: int) -> np.ndarray:
    """Starting values: minus the log-odds of each item's proportion right, centred."""
    shown = np.bincount(forms.index[forms.valid], minlength=count)
    right = np.bincount(forms.index[forms.valid], forms.x[forms.valid], minlength=count)
    p = (right + 0.5) / (shown + 1.0)
    b = -np.log(p / (1 - p))
    return b - b.mean()


def _newton(forms: _Forms, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Newton-Raphson from ``b``; returns the estimates, the information at the last step (the
    step after it is below ``TOLERANCE``, so it stands for the information at the estimates),
    the iterations and whether they converged."""
    count = len(b)
    centre = np.full((count, count), 1.0 / count)
    for iteration in range(1, MAX_ITERATIONS + 1):
        gradient, info = _conditional(b, forms, hessian=True)
        step = np.clip(np.linalg.solve(info + centre, gradient), -MAX_STEP, MAX_STEP)
        b = b + step
        b -= b.mean()
        if np.abs(step).max() < TOLERANCE:
            return b, info, iteration, True
    return b, info, MAX_ITERATIONS, False


def _pseudo_inverse(info: np.ndarray) -> np.ndarray:
    """The covariance of sum-zero difficulties: the information's null space is the all-ones vector,
    so (info + J/I)^-1 - J/I is its Moore-Penrose inverse."""
    count = len(info)
    centre = np.full((count, count), 1.0 / count)
    return np.linalg.inv(info + centre) - centre


def _fit_statistics(b: np.ndarray, forms: _Forms) -> tuple[list[float | None], list[float | None]]:
    theta = _ability(b, forms, weighted=False)
    diff = theta[:, None] - b[np.clip(forms.index, 0, None)]
    p = 1 / (1 + np.exp(-diff))
    variance = np.where(forms.valid, p * (1 - p), 0.0)
    squared = np.where(forms.valid, (forms.x - p) ** 2, 0.0)
    count = len(b)
    shown = np.bincount(forms.index[forms.valid], minlength=count)
    residual = np.bincount(forms.index[forms.valid], squared[forms.valid], minlength=count)
    expected = np.bincount(forms.index[forms.valid], variance[forms.valid], minlength=count)
    standardised = np.bincount(
        forms.index[forms.valid], (squared[forms.valid] / variance[forms.valid]), minlength=count
    )
    infit = [float(residual[j] / expected[j]) if expected[j] > 0 else None for j in range(count)]
    outfit = [float(standardised[j] / shown[j]) if shown[j] else None for j in range(count)]
    return infit, outfit


def _ability(b: np.ndarray, forms: _Forms, weighted: bool) -> np.ndarray:
    """Each person's ability: maximum likelihood (non-extreme scores only) or Warm's weighted
    likelihood (``weighted``: finite for every score)."""
    difficulty = np.where(forms.valid, b[np.clip(forms.index, 0, None)], 0.0)
    theta = np.zeros(len(forms.raw))
    for _ in range(100):
        p = np.where(forms.valid, 1 / (1 + np.exp(difficulty - theta[:, None])), 0.0)
        info = (p * (1 - p)).sum(axis=1)
        score = forms.raw - p.sum(axis=1)
        if weighted:
            score = score + (p * (1 - p) * (1 - 2 * p)).sum(axis=1) / (2 * info)
        step = np.clip(score / info, -MAX_STEP, MAX_STEP)
        theta = theta + step
        if np.abs(step).max() < TOLERANCE:
            break
    return theta


def _abilities(
    b: np.ndarray, position: dict[Hashable, int], responses: Sequence[Mapping[Hashable, int]]
) -> tuple[float | None, float | None, float | None]:
    """Mean and true spread of abilities over every person (on the calibrated items they saw)."""
    rows = [{position[i]: int(x) for i, x in r.items() if i in position} for r in responses]
    rows = [r for r in rows if r]
    if len(rows) < 2:
        return None, None, None
    forms = _forms(rows)
    theta = _ability(b, forms, weighted=True)
    p = np.where(forms.valid, 1 / (1 + np.exp(b[np.clip(forms.index, 0, None)] - theta[:, None])), 0.0)
    error = float(np.mean(1 / (p * (1 - p)).sum(axis=1)))
    observed = float(np.var(theta, ddof=1))
    true = max(observed - error, 0.0)
    return float(theta.mean()), float(np.sqrt(true)), (true / observed if observed > 0 else None)
