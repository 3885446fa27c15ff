"""Drawing questions: reproducible, shuffled, stratified, cases kept together."""

from collections import Counter

from quizapp.services.quiz.drawing import Candidate, draw


def bank(n_per_subtopic=6, subtopics=("a", "b", "c"), case_size=3):
    cands, rid = [], 0
    for s in subtopics:
        for _ in range(n_per_subtopic):
            rid += 1
            cands.append(Candidate(rid, s, None, "single", (rid * 10 + 1, rid * 10 + 2, rid * 10 + 3, rid * 10 + 4)))
    for _ in range(case_size):
        rid += 1
        cands.append(Candidate(rid, "a", "case-1", "true_false", (rid * 10 + 1, rid * 10 + 2)))
    return cands


def test_same_seed_same_draw():
    """A draw is a pure function of candidates, count and seed."""
    assert draw(bank(), 10, seed=42) == draw(bank(), 10, seed=42)


def test_different_seeds_shuffle_questions_and_options():
    """Different seeds give different question and option orders."""
    draws = [draw(bank(), 10, seed=s) for s in range(5)]
    assert len({tuple(d.revision_id for d in x) for x in draws}) > 1
    orders = {tuple(q.choice_order) for x in draws for q in x if len(q.choice_order) == 4}
    assert any(o != tuple(sorted(o)) for o in orders)


def test_draws_exactly_the_count_without_repeats():
    """N questions, each once, with every option kept."""
    cands = {c.revision_id: c for c in bank()}
    for seed in range(20):
        drawn = draw(list(cands.values()), 12, seed=seed)
        assert len(drawn) == 12
        assert len({d.revision_id for d in drawn}) == 12
        for d in drawn:
            assert sorted(d.choice_order) == sorted(cands[d.revision_id].choice_ids)


def test_stratified_draw_covers_every_subtopic_evenly():
    """With stratification, sub-topics take turns: 9 draws from 3 sub-topics give 3 each."""
    cands = bank(case_size=0)
    by_id = {c.revision_id: c.subtopic for c in cands}
    for seed in range(10):
        counts = Counter(by_id[d.revision_id] for d in draw(cands, 9, seed=seed))
        assert counts == {"a": 3, "b": 3, "c": 3}


def test_case_questions_are_drawn_together_in_author_order():
    """A clinical case appears whole and in order, or not at all."""
    cands = bank()
    case_ids = [c.revision_id for c in cands if c.case]
    seen_whole = False
    for seed in range(30):
        ids = [d.revision_id for d in draw(cands, 10, seed=seed)]
        present = [i for i in ids if i in case_ids]
        assert present in ([], case_ids)
        if present:
            start = ids.index(case_ids[0])
            assert ids[start : start + len(case_ids)] == case_ids
            seen_whole = True
    assert seen_whole


def test_true_false_keeps_true_then_false():
    """True/False options are not shuffled."""
    cands = bank()
    tf = {c.revision_id: c.choice_ids for c in cands if c.question_type == "true_false"}
    for seed in range(10):
        for d in draw(cands, 21, seed=seed):
            if d.revision_id in tf:
                assert tuple(d.choice_order) == tf[d.revision_id]


def test_small_bank_draws_what_there_is():
    """Asking for more than the bank holds draws every question once."""
    assert len(draw(bank(n_per_subtopic=1, case_size=0), 10, seed=1)) == 3
