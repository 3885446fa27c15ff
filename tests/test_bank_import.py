"""Importing banks: revisions, retirement, corrections that regrade, all-or-nothing."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, AuditEvent, Bank, Question, QuestionRevision
from quizapp.services.banks import bank_import
from quizapp.services.quiz import attempts

from . import factories
from .conftest import Browser

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "tiny_bank.yaml").read_text()


def write(folder: Path, text: str, name: str = "tiny.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Bank)),
        db.session.scalar(select(func.count()).select_from(Question)),
        db.session.scalar(select(func.count()).select_from(QuestionRevision)),
    )


def take_attempt(trainee, bank, answer_key: dict[str, str] | None = None) -> int:
    """Answer every question with its current correct key, or with ``answer_key`` (external id -> choice key)."""
    attempt = attempts.start_or_resume(trainee, bank, seed=11)
    for aq in attempt.questions:
        ext = aq.revision.question.external_id
        if answer_key and ext in answer_key:
            chosen = {c.id for c in aq.revision.choices if c.key == answer_key[ext]}
        else:
            chosen = {c.id for c in aq.revision.choices if c.is_correct}
        attempts.save_answer(attempt.id, aq.position, chosen)
    attempts.submit(attempt.id)
    return attempt.id


def test_reimport_unchanged_changes_nothing(ctx, tmp_path):
    """The second import of the same file adds no rows."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    before = counts()
    reports = bank_import.import_banks(folder)
    assert counts() == before == (1, 6, 6)
    assert not reports[0].changed


def test_review_date_edit_makes_no_revision(ctx, tmp_path):
    """Updating `reviewed` is metadata: no new revision."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    write(folder, GOOD.replace("reviewed: 2026-11-25", "reviewed: 2026-11-26", 1))
    bank_import.import_banks(folder)
    assert counts() == (1, 6, 6)


def without_tokens(html: str) -> str:
    """CSRF tokens carry a timestamp: two renders a second apart differ only there."""
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


def test_edit_makes_new_revision_and_old_attempts_keep_score_and_review(app, client, tmp_path):
    """A reworded stem is a new revision; a past attempt keeps its revision, score and review page."""
    folder = tmp_path / "b"
    with app.app_context():
        write(folder, GOOD)
        bank_import.import_banks(folder)
        trainee = factories.user("t@x.test")
        bank = db.session.scalar(select(Bank))
        attempt_id = take_attempt(trainee, bank)
        before_score = db.session.get(Attempt, attempt_id).score
    b = Browser(client)
    b.login("t@x.test")
    review_before = b.get(f"/trainee/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Which needle is used for dry needling?" in review_before

    with app.app_context():
        write(folder, GOOD.replace("Which needle is used for dry needling?", "Which needle does dry needling use?"))
        report = bank_import.import_banks(folder)[0]
        assert report.revised == ["t-single"] and not report.regrades
        q = db.session.scalar(select(Question).where(Question.external_id == "t-single"))
        assert q.current_number == 2 and len(q.revisions) == 2
        assert db.session.get(Attempt, attempt_id).score == before_score
    review_after = b.get(f"/trainee/attempts/{attempt_id}/review").get_data(as_text=True)
    assert without_tokens(review_after) == without_tokens(review_before)


def test_removed_question_is_retired_not_deleted(ctx, tmp_path):
    """Dropping a question from the file retires it: kept in history, never drawn again."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    trainee = factories.user("t@x.test")
    start = GOOD.index("  - id: t-extra")
    write(folder, GOOD[:start])
    report = bank_import.import_banks(folder)[0]
    assert report.retired == ["t-extra"]
    q = db.session.scalar(select(Question).where(Question.external_id == "t-extra"))
    assert q.retired_at is not None and len(q.revisions) == 1
    bank = db.session.scalar(select(Bank))
    for seed in range(5):
        attempt = attempts.start_or_resume(trainee, bank, seed=seed)
        assert all(aq.revision.question_id != q.id for aq in attempt.questions)
        attempts.submit(attempt.id)
        db.session.execute(Attempt.__table__.delete())
        db.session.commit()
    write(folder, GOOD)
    assert bank_import.import_banks(folder)[0].restored == ["t-extra"]


def test_correction_regrades_attempts_and_audits(ctx, tmp_path):
    """A corrected answer key regrades past attempts, changes pass status and is audited."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    trainee = factories.user("t@x.test")
    bank = db.session.scalar(select(Bank))
    # The trainee picked "c" (Running) on the case question, which the faulty key calls wrong.
    attempt_id = take_attempt(trainee, bank, answer_key={"t-case-1": "c"})
    before = db.session.get(Attempt, attempt_id)
    assert before.score == 80.0 and before.passed is False, "failed on the critical item"

    corrected = GOOD.replace("correct: [b]", "correct: [c]").replace(
        "    stem: Which feature of this patient most raises the risk of pneumothorax?",
        "    stem: Which feature of this patient most raises the risk of pneumothorax?\n"
        "    correction: true\n    correction_reason: The key named the wrong option.",
    )
    # The corrected option needs no feedback; the old key gets feedback as a wrong option now.
    corrected = corrected.replace(
        "        text: Low body-mass index\n", "        text: Low body-mass index\n        feedback: Test wording.\n"
    )
    write(folder, corrected)
    report = bank_import.import_banks(folder)[0]
    assert report.corrections == ["t-case-1"]
    assert [(g.before_score, g.after_score, g.before_passed, g.after_passed) for g in report.regrades] == [
        (80.0, 100.0, False, True)
    ]
    after = db.session.get(Attempt, attempt_id)
    db.session.refresh(after)
    assert (after.score, after.passed) == (100.0, True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "attempt.regraded"))
    assert event.details["before"] == {"score": 80.0, "passed": False}
    assert event.details["after"] == {"score": 100.0, "passed": True}


def test_key_change_without_correction_does_not_regrade(ctx, tmp_path):
    """A changed key without `correction: true` leaves old scores alone, with a note."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    trainee = factories.user("t@x.test")
    bank = db.session.scalar(select(Bank))
    attempt_id = take_attempt(trainee, bank)
    changed = GOOD.replace("correct: [b]", "correct: [c]").replace(
        "        text: Low body-mass index\n", "        text: Low body-mass index\n        feedback: Test wording.\n"
    )
    write(folder, changed)
    report = bank_import.import_banks(folder)[0]
    assert not report.regrades and any("without 'correction: true'" in n for n in report.notes)
    assert db.session.get(Attempt, attempt_id).score == 100.0


def test_a_bad_file_blocks_the_whole_import(ctx, tmp_path):
    """One invalid file among several: nothing is imported, the database is unchanged."""
    folder = write(tmp_path / "b", GOOD)
    bank_import.import_banks(folder)
    before = counts()
    write(folder, GOOD.replace("Which needle is used", "Which needle is now used"))
    write(folder, GOOD.replace("id: tiny", "id: other").replace("correct: [b]", "correct: [q]"), name="other.yaml")
    with pytest.raises(bank_import.BankCheckFailed) as info:
        bank_import.import_banks(folder)
    assert any("other.yaml" in p.file for p in info.value.problems)
    assert counts() == before
    assert (
        db.session.scalar(select(QuestionRevision.stem).where(QuestionRevision.stem.like("Which needle is now%")))
        is None
    )
