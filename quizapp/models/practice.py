"""Practice outside certification: each trainee's memory schedule per question, and practice items."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .banks import Question, QuestionRevision
from .time import utcnow


class MemoryCard(db.Model):
    """FSRS state of one question for one trainee; updated by every answer, practice or attempt."""

    __tablename__ = "memory_card"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        Index("ix_memory_card_user_due", "user_id", "due"),
        CheckConstraint("state IN (1, 2, 3)", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    state: Mapped[int]  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: Mapped[int | None]
    stability: Mapped[float | None]
    difficulty: Mapped[float | None]
    due: Mapped[dt.datetime]
    last_review: Mapped[dt.datetime | None]
    reviews: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship()


class PracticeItem(db.Model):
    """One practice question as shown: the revision and option order, then the answer once given."""

    __tablename__ = "practice_item"
    __table_args__ = (CheckConstraint("mode IN ('practice', 'review')", name="mode_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revision.id", ondelete="RESTRICT"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="RESTRICT"))
    subtopic_id: Mapped[int | None] = mapped_column(ForeignKey("subtopic.id", ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(16), default="practice")
    choice_order: Mapped[list[int]] = mapped_column(JSON)
    shown_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[dt.datetime | None]
    selections: Mapped[list[int] | None] = mapped_column(JSON)
    score: Mapped[float | None]

    revision: Mapped[QuestionRevision] = relationship()
