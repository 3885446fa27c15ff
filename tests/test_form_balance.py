"""Difficulty-balanced draws: forms equivalent at the pass mark, with sub-topics, cases and exposure kept."""

import random
from collections import Counter
from pathlib import Path

import pytest

from quizapp.services.analytics import form_simulation
from quizapp.services.banks import bank_files
from quizapp.services.quiz.drawing import Candidate, draw

BANKS = Path(__file__).resolve().parent.parent / "question_banks"


def pool(seed=0, per_subtopic=12, subtopics=("a", "b", "c", "d"), case_size=3):
    """Questions with spread-out difficulties in four sub-topics, and one case in sub-topic a."""
    rng = random.Random(seed)
    out, rid = [], 0
    for s in subtopics:
        for _ in range(per_subtopic):
            rid += 1
            out.append(Candidate(rid, s, None, "single", (1, 2, 3), rid, difficulty=rng.gauss(0, 1.3)))
    for _ in range(case_size):
        rid += 1
        out.append(Candidate(rid, "a", "case", "true_false", (1, 2), rid, difficulty=rng.gauss(0, 1.3)))
    return out


def mean_difficulty(cands, drawn):
    by_id = {c.revision_id: c.difficulty for c in cands}
    return sum(by_id[d.revision_id] for d in drawn) / len(drawn)


def test_balanced_draws_match_the_banks_mean_difficulty():
    """Without an anchor, nine forms in ten have a mean difficulty within the tolerance of the bank's (
    always: a small pool can run out of swaps), a tenth of the unbalanced spread."""
    import statistics

    cands = pool()
    flat = [Candidate(c.revision_id, c.subtopic, c.case, c.question_type, c.choice_ids, c.question_id) for c in cands]
    bank_mean = sum(c.difficulty for c in cands) / len(cands)
    balanced = [mean_difficulty(cands, draw(cands, 12, seed)) - bank_mean for seed in range(300)]
    plain = [mean_difficulty(cands, draw(flat, 12, seed)) - bank_mean for seed in range(300)]
    assert sum(abs(g) <= 0.002 + 1e-9 for g in balanced) >= 0.9 * len(balanced)
    assert statistics.pstdev(balanced) < statistics.pstdev(plain) / 10


def test_balancing_keeps_subtopics_cases_and_exposure_control():
    """The same sub-topic counts as the unbalanced draw, cases whole and in order, unseen questions first."""
    cands = pool()
    flat = [Candidate(c.revision_id, c.subtopic, c.case, c.question_type, c.choice_ids, c.question_id) for c in cands]
    subtopic = {c.revision_id: c.subtopic for c in cands}
    case_ids = [c.revision_id for c in cands if c.case]
    for seed in range(100):
        balanced = [d.revision_id for d in draw(cands, 12, seed)]
        plain = [d.revision_id for d in draw(flat, 12, seed)]
        assert Counter(subtopic[i] for i in balanced) == Counter(subtopic[i] for i in plain)
        present = [i for i in balanced if i in case_ids]
        assert present in ([], case_ids)
        if present:
            start = balanced.index(case_ids[0])
            assert balanced[start : start + 3] == case_ids
    seen = {c.question_id for c in cands if c.subtopic in ("b", "c") and c.question_id % 2 == 0}
    for seed in range(50):
        drawn = [d.revision_id for d in draw(cands, 12, seed, seen=seen)]
        assert not set(drawn) & seen, "every sub-topic has enough unseen questions: none is repeated"


def test_balancing_varies_forms_and_spreads_exposure():
    """Forms differ from draw to draw and every question still appears in some form."""
    cands = pool()
    forms = [frozenset(d.revision_id for d in draw(cands, 12, seed)) for seed in range(400)]
    assert len(set(forms)) > 350
    exposure = Counter(i for f in forms for i in f)
    assert set(exposure) == {c.revision_id for c in cands}
    assert max(exposure.values()) / len(forms) < 0.6


def test_anchor_balances_the_expected_score_at_the_anchor():
    """With an anchor ability, the expected loss of a trainee there is the same on every form."""
    import math

    cands = pool(seed=3)
    anchor = 1.4

    def loss(ids):
        by_id = {c.revision_id: c.difficulty for c in cands}
        return sum(1 / (1 + math.exp(anchor - by_id[i])) for i in ids) / len(ids)

    bank = loss([c.revision_id for c in cands])
    for seed in range(100):
        assert abs(loss([d.revision_id for d in draw(cands, 12, seed, anchor=anchor)]) - bank) <= 0.002 + 1e-9


@pytest.fixture(scope="module")
def shipped():
    files = bank_files.read_bank_files(BANKS)
    assert files and all(f.ok for f in files)
    return {f.bank.id: f.bank for f in files}


@pytest.mark.parametrize("bank_id", ["acupuncture-comparison", "indications", "mechanisms", "safety"])
def test_shipped_banks_give_equivalent_forms(shipped, bank_id):
    """Over 1,000 draws with simulated item parameters: today's draw spreads borderline scores by
    about 3.4 points (SD); balanced on a Rasch calibration of 1,000 simulated trainees, at most
    1.0 point, and on the true parameters about 0.1; sub-topic counts, whole cases unchanged."""
    report = form_simulation.form_balance(shipped[bank_id], draws=1000)
    today, labels, calibrated, ideal = report.figures
    assert 2.8 <= today.sd <= 4.2
    assert labels.sd < today.sd
    assert calibrated.sd <= form_simulation.FORM_SD_LIMIT
    assert ideal.sd <= 0.2
    assert report.recovery >= 0.95
    for f in report.figures:
        assert f.subtopic_counts_same and f.cases_whole
        assert f.max_exposure <= today.max_exposure + 0.1


def test_a_small_subtopic_is_never_balanced_into_leaving_a_question_out():
    """Three of four questions from a sub-topic: every question still appears (no swaps there)."""
    cands = [
        Candidate(i, "general", None, "single", (1, 2), i, difficulty=d) for i, d in enumerate((-1.5, -0.5, 0.5, 1.5))
    ] + [Candidate(10 + i, "thorax", None, "single", (1, 2), 10 + i, difficulty=0.0) for i in range(2)]
    seen = Counter(d.revision_id for seed in range(200) for d in draw(cands, 5, seed, anchor=1.0))
    assert set(seen) == {c.revision_id for c in cands}


def test_banks_check_prints_the_form_figures(app, database_url):
    """`flask banks check --forms` prints, per bank, the form SD of each draw and the decision figures."""
    if database_url.startswith("postgresql"):
        pytest.skip("reads bank files only: one leg is enough")
    result = app.test_cli_runner().invoke(args=["banks", "check", str(BANKS / "mechanisms.yaml"), "--forms"])
    assert "mechanisms: form difficulty over 1000 draws" in result.output
    for name in ("today (sub-topics only)", "balanced on labels", "balanced on a calibration of 1000 trainees"):
        assert name in result.output
    assert "same pass/fail on a second form" in result.output
    assert result.exit_code == 0, result.output  # the calibrated draw is within 1.0 point
