"""The four banks we ship: valid, complete, and importable."""

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Question
from quizapp.services.banks import bank_import
from quizapp.services.banks.bank_files import read_bank_files

BANKS = Path(__file__).resolve().parent.parent / "question_banks"
EXPECTED = {"mechanisms", "indications", "acupuncture-comparison", "safety"}


@pytest.fixture(scope="module")
def shipped():
    files = read_bank_files(BANKS)
    return {f.bank.id: f for f in files if f.bank}, files


def test_every_shipped_file_passes_the_check(shipped):
    """`flask banks check question_banks/` finds no error in any file."""
    _, files = shipped
    errors = [str(p) for f in files for p in f.errors]
    assert not errors, "\n".join(errors)
    assert {f.bank.id for f in files} == EXPECTED


@pytest.mark.parametrize("bank_id", sorted(EXPECTED))
def test_bank_size_mix_and_teaching_fields(shipped, bank_id):
    """At least 100 questions, every type and difficulty, cases, a rationale and a full reference each."""
    bank = shipped[0][bank_id].bank
    questions = bank.questions
    assert len(questions) >= 100
    assert bank.item_writing == "errors", "our banks fail the check on any cue in the wording"
    types = Counter(q.type for q in questions)
    assert types["single"] >= 20 and types["multiple"] >= 6 and types["true_false"] >= 6, types
    difficulty = Counter(q.difficulty for q in questions)
    assert all(difficulty[level] >= 10 for level in ("easy", "medium", "hard")), difficulty
    cases = Counter(q.case for q in questions if q.case)
    assert len(cases) >= 3 and all(n >= 2 for n in cases.values()), cases
    by_subtopic = Counter(q.subtopic for q in questions)
    assert set(by_subtopic) == {s.id for s in bank.subtopics}, "every sub-topic has questions"
    for q in questions:
        assert len(q.rationale) >= 40, q.id
        assert q.references, q.id
        for ref in q.references:
            assert ref.authors and ref.title and ref.source and 1900 < ref.year <= 2026, (q.id, ref)
        for choice in q.choices or []:
            if choice.id not in (q.correct or []):
                assert choice.feedback, (q.id, choice.id)
        if q.jurisdiction:
            assert q.as_of is not None, q.id


def test_safety_bank_marks_high_risk_anatomy_critical(shipped):
    """Pneumothorax and high-risk anatomy are must-pass items in the safety bank."""
    bank = shipped[0]["safety"].bank
    critical = {s.id for s in bank.subtopics if s.critical}
    assert critical, "a critical sub-topic"
    assert sum(1 for q in bank.questions if q.subtopic in critical) >= 6


def test_shipped_banks_import_and_reimport_is_a_no_op(ctx):
    """The real files import into the database; importing again changes nothing."""
    first = bank_import.import_banks(BANKS)
    assert {r.bank for r in first} == EXPECTED
    count = db.session.scalar(select(func.count()).select_from(Question))
    assert count >= 240
    second = bank_import.import_banks(BANKS)
    assert not any(r.changed for r in second)
    assert db.session.scalar(select(func.count()).select_from(Question)) == count
