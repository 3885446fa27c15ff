"""Import checked bank files into the database, as new revisions, in one transaction.

Re-importing an unchanged file changes nothing. A question whose content changed gets a new
revision; past attempts keep theirs. A question missing from the file is retired, never
deleted. A revision marked ``correction: true`` regrades every attempt that used an earlier
revision of the question, and records each changed result in the audit trail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    Choice,
    Question,
    QuestionRevision,
    Subtopic,
    User,
    utcnow,
)
from ..certification import evaluation
from ..people import audit_trail
from ..quiz import attempts
from .bank_files import TRUE_FALSE_CHOICES, Problem, read_bank_files
from .bank_schema import Bank as BankModel
from .bank_schema import Question as QuestionModel

# Fields that are review metadata, not content: changing them makes no new revision.
NON_CONTENT_FIELDS = {"reviewed", "correction", "correction_reason"}


class BankCheckFailed(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} error(s) in the bank files; nothing was imported")
        self.problems = problems


@dataclass
class Regrade:
    attempt_id: int
    user_id: int
    trainee: str
    bank: str
    before_score: float | None
    after_score: float | None
    before_passed: bool | None
    after_passed: bool | None


@dataclass
class ImportReport:
    bank: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0
    corrections: list[str] = field(default_factory=list)
    regrades: list[Regrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.added or self.revised or self.retired or self.restored)


def choices_of(q: QuestionModel) -> list[tuple[str, str, str | None, bool]]:
    """(key, text, feedback, is_correct) in the author's order, True/False made explicit."""
    if q.type == "true_false":
        return [(key, text, None, (key == "true") == q.answer) for key, text in TRUE_FALSE_CHOICES]
    correct = set(q.correct or [])
    return [(c.id, c.text, c.feedback, c.id in correct) for c in q.choices or []]


def content_hash(q: QuestionModel, case: dict | None, critical: bool) -> str:
    material = q.model_dump(mode="json", exclude=NON_CONTENT_FIELDS)
    material["case_content"] = case
    material["effective_critical"] = critical
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def import_banks(target: str | Path) -> list[ImportReport]:
    """Check every file under ``target``; import them all, or none (raises ``BankCheckFailed``)."""
    files = read_bank_files(target)
    problems = [p for f in files for p in f.errors]
    if problems:
        raise BankCheckFailed(problems)
    try:
        reports = [_import_bank(f.bank, _file_hash(f.path)) for f in files if f.bank]
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    regraded = {g.user_id for r in reports for g in r.regrades}
    for user in db.session.scalars(select(User).where(User.id.in_(regraded))).all():
        evaluation.refresh(user)  # a regrade can complete a certification; it never revokes one
    return reports


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


BANK_FIELDS = (
    "topic",
    "title",
    "description",
    "version",
    "pass_mark",
    "questions_per_attempt",
    "time_limit_minutes",
    "attempt_limit",
    "cooldown_minutes",
    "critical_min",
)


def _import_bank(spec: BankModel, source_hash: str) -> ImportReport:
    """Bring one bank's rows in line with its file: header, sub-topics, one revision per changed question."""
    report = ImportReport(bank=spec.id)
    bank = _bank_row(spec, source_hash, report)
    if bank is None:
        return report
    subtopics = _sync_subtopics(bank, spec)
    existing = {
        q.external_id: q
        for q in db.session.scalars(
            select(Question).where(Question.bank_id == bank.id).options(selectinload(Question.revisions))
        )
    }
    cases = {c.id: c for c in spec.cases}
    corrected: dict[int, set[str]] = {}  # old revision id -> corrected key
    for position, q in enumerate(spec.questions):
        _import_question(bank, q, position, subtopics, cases, existing, report, corrected)
    _retire_missing(existing, {q.id for q in spec.questions}, report)
    db.session.flush()
    if corrected:
        report.regrades = _regrade(bank, corrected)
    return report


def _bank_row(spec: BankModel, source_hash: str, report: ImportReport) -> Bank | None:
    """The bank's row with the file's header applied; None when the file is byte-for-byte as last imported."""
    bank = db.session.scalar(select(Bank).where(Bank.slug == spec.id).options(selectinload(Bank.subtopics)))
    if bank is None:
        bank = Bank(slug=spec.id, source_hash="", version=spec.version)
        db.session.add(bank)
        report.created = True
    elif bank.source_hash == source_hash:
        report.unchanged = len(spec.questions)
        return None
    for name in BANK_FIELDS:
        setattr(bank, name, getattr(spec, name))
    bank.source_hash = source_hash
    bank.imported_at = utcnow()
    return bank


def _sync_subtopics(bank: Bank, spec: BankModel) -> dict[str, Subtopic]:
    """Sub-topics by slug, created or updated in the file's order (never deleted: revisions point at them)."""
    subtopics = {s.slug: s for s in bank.subtopics}
    for position, st in enumerate(spec.subtopics):
        row = subtopics.get(st.id) or Subtopic(slug=st.id)
        row.title, row.critical, row.position = st.title, st.critical, position
        if st.id not in subtopics:
            bank.subtopics.append(row)
            subtopics[st.id] = row
    db.session.flush()
    return subtopics


def _import_question(
    bank: Bank,
    q: QuestionModel,
    position: int,
    subtopics: dict[str, Subtopic],
    cases: dict,
    existing: dict[str, Question],
    report: ImportReport,
    corrected: dict[int, set[str]],
) -> None:
    """Add, restore or revise one question; a ``correction`` records the new key for every older revision."""
    case = cases.get(q.case) if q.case else None
    critical = q.critical or subtopics[q.subtopic].critical
    digest = content_hash(q, case.model_dump() if case else None, critical)
    question = existing.get(q.id)
    if question is None:
        question = Question(bank_id=bank.id, external_id=q.id, current_number=0)
        db.session.add(question)
        report.added.append(q.id)
    question.position, question.reviewed_on = position, q.reviewed
    if question.retired_at is not None:
        question.retired_at = None
        report.restored.append(q.id)
    current = next((r for r in question.revisions if r.number == question.current_number), None)
    if current is not None and current.content_hash == digest:
        report.unchanged += 1
        return
    revision = _revision(q, question.current_number + 1, digest, subtopics[q.subtopic], case, critical)
    question.revisions.append(revision)
    question.current_number = revision.number
    if current is None:
        return
    report.revised.append(q.id)
    new_key = {key for key, _, _, ok in choices_of(q) if ok}
    if q.correction:
        report.corrections.append(q.id)
        for old in question.revisions[:-1]:
            corrected[old.id] = new_key
    elif {c.key for c in current.choices if c.is_correct} != new_key:
        report.notes.append(f"{q.id}: answer key changed without 'correction: true'; past attempts keep their scores")


def _revision(q: QuestionModel, number: int, digest: str, subtopic: Subtopic, case, critical: bool) -> QuestionRevision:
    return QuestionRevision(
        number=number,
        content_hash=digest,
        type=q.type,
        subtopic_id=subtopic.id,
        difficulty=q.difficulty,
        case_slug=q.case,
        case_title=case.title if case else None,
        case_text=case.text if case else None,
        stem=q.stem,
        rationale=q.rationale,
        references=[r.model_dump(exclude_none=True) for r in q.references],
        critical=critical,
        as_of=q.as_of,
        jurisdiction=q.jurisdiction,
        correction_reason=q.correction_reason if q.correction else None,
        choices=[
            Choice(key=key, text=text, feedback=feedback, is_correct=ok, position=i)
            for i, (key, text, feedback, ok) in enumerate(choices_of(q))
        ],
    )


def _retire_missing(existing: dict[str, Question], in_file: set[str], report: ImportReport) -> None:
    """Questions deleted from the file stop being drawn; their revisions and history stay."""
    now = utcnow()
    for external_id, question in existing.items():
        if external_id not in in_file and question.retired_at is None:
            question.retired_at = now
            report.retired.append(external_id)


def _regrade(bank: Bank, corrected: dict[int, set[str]]) -> list[Regrade]:
    """Regrade submitted attempts that showed a corrected revision; audit every changed result."""
    attempt_ids = db.session.scalars(
        select(Attempt.id)
        .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .where(AttemptQuestion.revision_id.in_(corrected), Attempt.state == AttemptState.SUBMITTED)
        .distinct()
        .order_by(Attempt.id)
    ).all()
    changes = []
    for attempt_id in attempt_ids:
        attempt = db.session.get(Attempt, attempt_id)
        before = (attempt.score, attempt.passed)
        attempts.grade(attempt, correct_keys=corrected)
        attempt = db.session.get(Attempt, attempt_id)
        if (attempt.score, attempt.passed) == before:
            continue
        change = Regrade(
            attempt_id=attempt_id,
            user_id=attempt.user_id,
            trainee=attempt.user.email,
            bank=bank.slug,
            before_score=before[0],
            after_score=attempt.score,
            before_passed=before[1],
            after_passed=attempt.passed,
        )
        changes.append(change)
        audit_trail.record(
            "attempt.regraded",
            subject=attempt.user,
            attempt_id=attempt_id,
            bank=bank.slug,
            before={"score": before[0], "passed": before[1]},
            after={"score": attempt.score, "passed": attempt.passed},
        )
    return changes
