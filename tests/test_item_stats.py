"""Item statistics against small examples computed by hand (arithmetic in the comments)."""

import pytest

from quizapp.services.analytics.psychometrics import AttemptScores, bank_statistics, item_statistics

# Four trainees, three 0/1 items, every item in every attempt:
#   A: 1 1 1   B: 1 1 0   C: 1 0 0   D: 0 0 0
MATRIX = {"A": (1, 1, 1), "B": (1, 1, 0), "C": (1, 0, 0), "D": (0, 0, 0)}
KEYS = {q: (["a", "b", "c"], frozenset({"a"})) for q in (1, 2, 3)}


def attempts(matrix=MATRIX, picks=None):
    out = []
    for n, (name, row) in enumerate(matrix.items()):
        scores = {q + 1: float(x) for q, x in enumerate(row)}
        choices = {q: frozenset({"a"} if x == 1 else (picks or {}).get((name, q), set())) for q, x in scores.items()}
        out.append(AttemptScores(n, scores, choices))
    return out


def test_facility_is_the_proportion_correct():
    """Item 1 is right for 3 of 4, item 2 for 2 of 4, item 3 for 1 of 4."""
    stats = item_statistics(attempts(), KEYS)
    assert [s.facility for s in stats] == [0.75, 0.5, 0.25]
    assert [s.shown for s in stats] == [4, 4, 4] and [s.answered for s in stats] == [3, 2, 1]


def test_corrected_point_biserial():
    """Item 1: x = (1,1,1,0), rest = mean of the other two = (1, .5, 0, 0).

    dx = (.25,.25,.25,-.75), dr = (.625,.125,-.375,-.375); Sxy = .375, Sxx = .75, Srr = .6875;
    r = .375 / sqrt(.75 * .6875) = 0.52223.
    """
    assert item_statistics(attempts(), KEYS)[0].discrimination == pytest.approx(0.52223, abs=1e-5)


def test_negative_discrimination_and_flags():
    """An item only the weakest get right: x = (0,0,1,1) against rest (1,1,0,0) gives r = -1.

    With 4 responses it is not flagged by default, only "not enough responses yet"; with the
    gate lowered to 4 its Fisher interval (n = 4: +-1.96 on the z scale) lies below 0.
    """
    matrix = {"A": (1, 1, 0), "B": (1, 1, 0), "C": (0, 0, 1), "D": (0, 0, 1)}
    third = item_statistics(attempts(matrix), KEYS)[2]
    assert third.discrimination == pytest.approx(-1.0)
    assert third.flags == () and third.status == "not enough responses yet (n = 4)"
    gated_low = item_statistics(attempts(matrix), KEYS, min_n=4)[2]
    assert gated_low.flags == ("negative discrimination",)


def test_item_without_variance_has_no_discrimination():
    """Everyone right: facility 1.0 and no discrimination (None); 4 of 4 is no evidence of "too easy"
    (Wilson lower bound 4 / (4 + 1.96^2) = 0.51), so no flag even with the gate at 0."""
    matrix = {"A": (1, 1, 0), "B": (1, 0, 0), "C": (1, 1, 1), "D": (1, 0, 1)}
    first = item_statistics(attempts(matrix), KEYS, min_n=0)[0]
    assert first.facility == 1.0 and first.discrimination is None and first.flags == ()
    assert first.facility_ci.low == pytest.approx(4 / (4 + 1.959964**2), abs=1e-6)


def test_distractors_and_unanswered():
    """Item 3 wrong for B, C, D: B and C chose b, D left it blank -> b 2/4, c 0/4, blank 1/4."""
    picks = {("B", 3): {"b"}, ("C", 3): {"b"}}
    third = item_statistics(attempts(picks=picks), KEYS)[2]
    assert third.distractors == {"b": 0.5, "c": 0.0}
    assert third.unanswered == 0.25


def test_partial_credit_counts_as_its_fraction():
    """Scores 1, .5, .5, 0 on one item: facility .5."""
    data = [
        AttemptScores(i, {1: s, 2: 1.0}, {1: frozenset({"a"}), 2: frozenset({"a"})})
        for i, s in enumerate((1, 0.5, 0.5, 0))
    ]
    assert item_statistics(data, {1: KEYS[1], 2: KEYS[2]})[0].facility == 0.5


def test_bank_mean_median_sd():
    """Attempt scores 100, 66.7, 33.3, 0: mean 50, median 50, SD sqrt(5555.6 / 3) = 43.03."""
    stats = bank_statistics(attempts())
    assert stats.attempts == 4 and stats.mean == pytest.approx(50) and stats.median == pytest.approx(50)
    assert stats.sd == pytest.approx(43.033, abs=1e-3)
    assert stats.items_per_attempt == 3


def test_reliability_equals_kr20_on_a_complete_matrix():
    """KR-20 = k/(k-1) * (1 - sum p q / var_total) = 1.5 * (1 - .625 / 1.25) = 0.75.

    p = (.75, .5, .25), sum pq = .1875 + .25 + .1875 = .625; totals 3, 2, 1, 0 have (population)
    variance 1.25. The average-covariance form with sample (co)variances gives the same:
    v = (.25 + 1/3 + .25)/3 = 10/36, c = (1/6 + 1/12 + 1/6)/3 = 5/36, 3c / (v + 2c) = 0.75.
    """
    assert bank_statistics(attempts()).reliability == pytest.approx(0.75)


def test_reliability_needs_two_attempts_and_two_items():
    """One attempt, or attempts of one item, have no reliability; empty input gives Nones."""
    assert bank_statistics(attempts()[:1]).reliability is None
    one_item = [AttemptScores(i, {1: float(i % 2)}, {1: frozenset()}) for i in range(4)]
    assert bank_statistics(one_item).reliability is None
    empty = bank_statistics([])
    assert (empty.attempts, empty.mean, empty.sd, empty.reliability) == (0, None, None, None)
    assert item_statistics([], KEYS)[0].facility is None


def test_reliability_with_random_draws_uses_pairs_seen_together():
    """Sparse draws (each attempt has 2 of 3 items) still give an estimate from co-occurring pairs.

    Six attempts, pairs (1,2), (2,3), (1,3) twice each, both right or both wrong: every item has
    values (1,0,1,0): sample variance 1/3; every pair (1,0),(1,0): sample covariance 1/2;
    k = 2: alpha = 2 * .5 / (1/3 + .5) = 1.2. Few observations per pair inflate the estimate,
    which is why the page warns when responses are few.
    """
    pairs = [(1, 2), (1, 2), (2, 3), (2, 3), (1, 3), (1, 3)]
    data = [AttemptScores(i, {a: float(i % 2 == 0), b: float(i % 2 == 0)}, {}) for i, (a, b) in enumerate(pairs)]
    assert bank_statistics(data).reliability == pytest.approx(1.2)
