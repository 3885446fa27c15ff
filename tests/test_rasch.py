"""Rasch calibration (conditional ML) recovers known parameters from random-form data."""

import numpy as np
import pytest

from quizapp.services.analytics import form_simulation, rasch, rasch_scale
from quizapp.services.analytics.psychometrics import Z95


def simulate(trainees: int, items: int, per_form: int, seed: int):
    """Known difficulties and abilities; each trainee sees a random form of ``per_form`` items.

    Difficulties as ``form_simulation`` makes them from a bank's labels (a third each easy, medium
    and hard: label centre plus normal noise); abilities normal around 1.5 logits, so most answers
    are right, as in a certification bank near its 80 % pass mark.
    """
    rng = np.random.default_rng(seed)
    centres = np.array([form_simulation.LABEL_CENTRES[label] for label in ("easy", "medium", "hard")])
    b = centres[np.arange(items) % 3] + rng.normal(0, form_simulation.WITHIN_LABEL_SD, items)
    theta = rng.normal(1.5, 1, trainees)
    responses = []
    for t in theta:
        form = rng.choice(items, per_form, replace=False)
        right = rng.random(per_form) < 1 / (1 + np.exp(b[form] - t))
        responses.append(dict(zip(form.tolist(), right.astype(int).tolist(), strict=True)))
    return b, responses


def recovered(b, fit):
    ids = [i for i in range(len(b)) if fit.items[i].difficulty is not None]
    est = np.array([fit.items[i].difficulty for i in ids])
    se = np.array([fit.items[i].se for i in ids])
    truth = b[ids] - b[ids].mean()  # the fit is centred on its items: so is the truth it is compared with
    return est, se, truth


def test_recovery_at_500_trainees():
    """500 trainees, 20-question forms from 100 questions (the least a shipped bank holds; 100
    responses each): r >= 0.95 with the truth, and the 95 % intervals hold the true value for
    90-99 % of the questions (two replications pooled: 200 questions)."""
    covered, correlations = [], []
    for seed in (1, 2):
        b, responses = simulate(500, 100, 20, seed)
        fit = rasch.fit(responses)
        assert fit.converged
        est, se, truth = recovered(b, fit)
        correlations.append(np.corrcoef(est, truth)[0, 1])
        covered.extend(np.abs(est - truth) <= Z95 * se)
    assert min(correlations) >= 0.95, correlations
    assert 0.90 <= np.mean(covered) <= 0.99, np.mean(covered)


def test_fit_statistics_and_abilities_are_sensible():
    """Data from the model give infit and outfit near 1; a reversed item misfits; abilities are
    recovered in mean and spread."""
    b, responses = simulate(600, 60, 20, seed=7)
    for r in responses:  # item 0 answered against ability: right exactly when the rest went badly
        if 0 in r:
            rest = sum(v for k, v in r.items() if k != 0) / (len(r) - 1)
            r[0] = int(rest < 0.7)
    fit = rasch.fit(responses)
    infits = [fit.items[i].infit for i in range(1, 60)]
    assert 0.9 < np.mean(infits) < 1.1 and 0.85 < np.mean([fit.items[i].outfit for i in range(1, 60)]) < 1.15
    assert fit.items[0].infit > 1.3 and fit.items[0].outfit > 1.3
    assert fit.ability_mean == pytest.approx(1.5 - np.mean(b), abs=0.25)
    assert fit.ability_sd == pytest.approx(1.0, abs=0.25)
    assert 0 < fit.separation_reliability < 1


def test_extreme_items_and_persons_are_set_aside():
    """An item everyone answers right has no finite difficulty; perfect scores carry no information."""
    b, responses = simulate(200, 30, 10, seed=4)
    for r in responses:
        if 5 in r:
            r[5] = 1
    responses.append({1: 1, 2: 1, 3: 1})
    fit = rasch.fit(responses)
    assert fit.items[5].difficulty is None and fit.items[5].note == "everyone right"
    assert fit.extreme_persons >= 1
    estimated = [e.difficulty for e in fit.items.values() if e.difficulty is not None]
    assert len(estimated) >= 25 and abs(sum(estimated)) < 1e-6


def test_too_little_data_gives_no_estimates():
    """One trainee, or none, calibrates nothing (and says so)."""
    fit = rasch.fit([{1: 1, 2: 0}])
    assert fit.persons in (0, 1) and all(e.difficulty is None for e in fit.items.values())
    assert rasch.fit([]).items == {}


def test_ability_at_inverts_the_expected_score():
    """The ability whose expected score is 80 % on these items scores 80 % on them."""
    b = [-1.0, 0.0, 0.5, 2.0]
    theta = rasch_scale.ability_at(0.8, b)
    assert rasch_scale.expected_score(theta, b) == pytest.approx(0.8, abs=1e-9)
