"""Question banks and their questions, with immutable revisions.

A ``Question`` is the stable identity an author names in the bank file. Its content lives in
``QuestionRevision`` rows that are never edited: an edit creates a new revision, and attempts
keep pointing at the revision they showed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .time import utcnow


class Bank(db.Model):
    __tablename__ = "bank"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_percent"),
        CheckConstraint("critical_min BETWEEN 1 AND 100", name="critical_min_percent"),
        CheckConstraint("questions_per_attempt > 0", name="draws_questions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int]
    pass_mark: Mapped[int]
    questions_per_attempt: Mapped[int]
    time_limit_minutes: Mapped[int]
    attempt_limit: Mapped[int | None]
    cooldown_minutes: Mapped[int] = mapped_column(default=0)
    critical_min: Mapped[int] = mapped_column(default=100)
    source_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    subtopics: Mapped[list[Subtopic]] = relationship(
        back_populates="bank", order_by="Subtopic.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(back_populates="bank")

    def __repr__(self) -> str:
        return f"<Bank {self.slug!r} v{self.version}>"


class Subtopic(db.Model):
    __tablename__ = "subtopic"
    __table_args__ = (UniqueConstraint("bank_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    critical: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    bank: Mapped[Bank] = relationship(back_populates="subtopics")


class Question(db.Model):
    """Stable identity of a question; ``current_number`` names its live revision."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("bank_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    current_number: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    reviewed_on: Mapped[dt.date | None]  # governance metadata: editing it makes no new revision
    retired_at: Mapped[dt.datetime | None]

    bank: Mapped[Bank] = relationship(back_populates="questions")
    revisions: Mapped[list[QuestionRevision]] = relationship(
        back_populates="question", order_by="QuestionRevision.number"
    )


class QuestionRevision(db.Model):
    """One immutable version of a question's content (stem, choices, key, rationale)."""

    __tablename__ = "question_revision"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint("type IN ('single', 'multiple', 'true_false')", name="type_known"),
        CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name="difficulty_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    subtopic_id: Mapped[int] = mapped_column(ForeignKey("subtopic.id", ondelete="RESTRICT"), index=True)
    difficulty: Mapped[str] = mapped_column(String(8))
    case_slug: Mapped[str | None] = mapped_column(String(64))
    case_title: Mapped[str | None] = mapped_column(String(200))
    case_text: Mapped[str | None] = mapped_column(Text)
    stem: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    critical: Mapped[bool] = mapped_column(default=False)
    as_of: Mapped[dt.date | None]
    jurisdiction: Mapped[str | None] = mapped_column(String(120))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(back_populates="revisions")
    subtopic: Mapped[Subtopic] = relationship()
    choices: Mapped[list[Choice]] = relationship(
        back_populates="revision", order_by="Choice.position", cascade="all, delete-orphan"
    )

    @property
    def correct_choice_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}


class Choice(db.Model):
    __tablename__ = "choice"
    __table_args__ = (UniqueConstraint("revision_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revision.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    is_correct: Mapped[bool]
    position: Mapped[int]

    revision: Mapped[QuestionRevision] = relationship(back_populates="choices")
