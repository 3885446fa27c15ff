"""Item statistics with their uncertainty: intervals against known cases, flags gated by n."""

import random

import pytest

from quizapp.services.analytics.psychometrics import (
    AttemptScores,
    bank_statistics,
    fisher_z,
    flags_for,
    item_statistics,
    wilson,
)

KEYS = {1: (["a", "b"], frozenset({"a"}))}


def test_wilson_interval_known_cases():
    """Wilson 95 % for 8 of 10 is 0.490 to 0.943; 0 of 10 is 0 to 0.278; 50 of 100 is 0.404 to 0.596."""
    eight = wilson(0.8, 10)
    assert (eight.low, eight.high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    none = wilson(0.0, 10)
    assert (none.low, none.high) == pytest.approx((0.0, 0.2775), abs=1e-4)
    half = wilson(0.5, 100)
    assert (half.low, half.high) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert wilson(0.5, 0) is None


def test_fisher_z_interval_known_cases():
    """r = 0.5 over 50 pairs: tanh(atanh(.5) +- 1.96 / sqrt(47)) = 0.257 to 0.683; r = 0 over 28: tanh(1.96 / 5) = +-0.373."""
    a = fisher_z(0.5, 50)
    assert (a.low, a.high) == pytest.approx((0.2575, 0.6833), abs=1e-4)
    b = fisher_z(0.0, 28)
    assert (b.low, b.high) == pytest.approx((-0.3731, 0.3731), abs=1e-4)
    assert fisher_z(0.3, 3) is None


def _item(n: int, p_right: float, r_target: float, seed: int = 3) -> list[AttemptScores]:
    """n attempts of two items: item 1 right with ``p_right``; the rest score tracks item 1 by ``r_target``."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        x = float(rng.random() < p_right)
        rest = x if rng.random() < r_target else float(rng.random() < 0.5)
        out.append(AttemptScores(i, {1: x, 2: rest}, {1: frozenset({"a"} if x else {"b"}), 2: frozenset({"a"})}))
    return out


def test_flags_need_enough_responses():
    """A negative correlation from 20 responses gives no flag and says so; the same pattern at n = 200 flags."""
    small = item_statistics(_item(20, 0.6, 0.0, seed=11), KEYS)[0]
    assert small.flags == () and small.status == "not enough responses yet (n = 20)"
    rng = random.Random(5)
    data = []
    for i in range(200):
        x = float(rng.random() < 0.5)
        data.append(AttemptScores(i, {1: x, 2: 1 - x if rng.random() < 0.8 else x}, {1: frozenset({"a"})}))
    large = item_statistics(data, KEYS)[0]
    assert large.discrimination < 0 and large.discrimination_ci.high < 0
    assert large.flags == ("negative discrimination",) and large.status == "negative discrimination"


def test_flags_need_an_interval_past_the_threshold():
    """With n above the gate, a point estimate past a line is not enough: the interval must clear it."""
    from quizapp.services.analytics.psychometrics import Interval

    assert flags_for(60, Interval(0.90, 0.99), Interval(0.05, 0.40)) == ()  # 0.96 facility, wide interval
    assert flags_for(60, Interval(0.955, 0.99), Interval(0.05, 0.40)) == ("too easy",)
    assert flags_for(60, Interval(0.3, 0.6), Interval(-0.3, 0.09)) == ("low discrimination",)
    assert flags_for(60, Interval(0.05, 0.19), None) == ("too hard",)
    assert flags_for(49, Interval(0.05, 0.19), None) == ()
    assert flags_for(10, Interval(0.05, 0.19), None, min_n=10) == ("too hard",)


def test_a_sound_item_is_not_flagged_at_one_clinics_volume():
    """A sound item (true item-rest correlation about 0.4) seen by 20 trainees: whatever its sample
    correlation, the page says there are not enough responses rather than flag it."""
    for seed in range(30):
        stats = item_statistics(_item(20, 0.7, 0.4, seed=seed), KEYS)[0]
        assert stats.flags == ()


def test_reliability_has_a_bootstrap_interval():
    """The interval holds the estimate, is reproducible, and narrows with four times the attempts."""
    rng = random.Random(1)

    def attempts(n):
        out = []
        for i in range(n):
            ability = rng.gauss(0, 1)
            items = rng.sample(range(30), 10)
            out.append(
                AttemptScores(
                    i,
                    {q: float(rng.random() < 1 / (1 + 2.718 ** (q / 10 - 1.5 - ability))) for q in items},
                    {},
                )
            )
        return out

    few, many = attempts(60), attempts(240)
    a, b = bank_statistics(few), bank_statistics(many)
    assert a.reliability_ci.low <= a.reliability <= a.reliability_ci.high
    assert bank_statistics(few).reliability_ci == a.reliability_ci
    assert b.reliability_ci.high - b.reliability_ci.low < a.reliability_ci.high - a.reliability_ci.low
