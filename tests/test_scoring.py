"""Scoring rules per question type and the attempt pass rule."""

import pytest

from quizapp.services.quiz.scoring import ItemResult, attempt_result, score_item

ABCD = {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("selected", "expected"),
    [({"a"}, 1.0), ({"b"}, 0.0), (set(), 0.0), ({"a", "b"}, 0.0)],
)
def test_single_best_answer_is_all_or_nothing(selected, expected):
    """A single-answer item scores 1 only for exactly the correct choice."""
    assert score_item("single", selected, {"a"}, ABCD) == expected


@pytest.mark.parametrize(("selected", "expected"), [({"true"}, 1.0), ({"false"}, 0.0), (set(), 0.0)])
def test_true_false(selected, expected):
    """True/false is scored like a single best answer."""
    assert score_item("true_false", selected, {"true"}, {"true", "false"}) == expected


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ({"a", "b"}, 1.0),  # both right
        ({"a"}, 0.5),  # one of two right
        ({"a", "b", "c"}, 0.5),  # two right, one wrong: (2-1)/2
        ({"a", "c"}, 0.0),  # (1-1)/2
        ({"c", "d"}, 0.0),  # (0-2)/2 floored at zero
        ({"a", "b", "c", "d"}, 0.0),  # ticking everything earns nothing
        (set(), 0.0),
    ],
)
def test_multiple_response_right_minus_wrong_floored(selected, expected):
    """Multiple response: (right - wrong) / number correct, never below zero."""
    assert score_item("multiple", selected, {"a", "b"}, ABCD) == pytest.approx(expected)


def test_choices_outside_the_question_are_ignored():
    """A key that is not one of the question's choices cannot earn or cost marks."""
    assert score_item("multiple", {"a", "b", "zz"}, {"a", "b"}, ABCD) == 1.0


def test_attempt_passes_on_total_and_critical_items():
    """Pass needs the total at the pass mark and critical items at their minimum."""
    items = [ItemResult(1, False)] * 8 + [ItemResult(1, True), ItemResult(0, True)]
    result = attempt_result(items, pass_mark=80, critical_min=100)
    assert result.score == 90.0
    assert result.critical_score == 50.0
    assert not result.passed
    assert result.failed_on_critical


def test_attempt_without_critical_items():
    """With no critical items only the total counts."""
    result = attempt_result([ItemResult(1, False), ItemResult(0.5, False)], pass_mark=75, critical_min=100)
    assert (result.score, result.critical_score, result.passed) == (75.0, None, True)


def test_attempt_below_pass_mark_fails_without_blaming_critical_items():
    """A low total fails; it is not reported as a critical-item failure."""
    result = attempt_result([ItemResult(0, False), ItemResult(1, True)], pass_mark=80, critical_min=100)
    assert not result.passed and not result.failed_on_critical
