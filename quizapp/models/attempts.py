"""Attempts: what a trainee was shown (the draw) and what they answered."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .banks import Bank, Choice, QuestionRevision
from .people import User
from .time import utcnow  # noqa: F401


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Attempt(db.Model):
    """One sitting of one bank. Pass mark and limits are copied in at start, so that later
    edits to the bank never change how a past attempt was judged."""

    __tablename__ = "attempt"
    __table_args__ = (
        CheckConstraint("state IN ('in_progress', 'submitted')", name="state_known"),
        CheckConstraint("state = 'in_progress' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        # At most one open attempt per trainee and bank: a double "start" cannot make two.
        Index(
            "uq_attempt_one_open",
            "user_id",
            "bank_id",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
        Index("ix_attempt_user_bank", "user_id", "bank_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.IN_PROGRESS)
    seed: Mapped[int]
    bank_version: Mapped[int]
    pass_mark: Mapped[int]
    critical_min: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    submit_reason: Mapped[str | None] = mapped_column(String(16))  # "trainee" or "time_up"
    current_position: Mapped[int] = mapped_column(default=0)
    score: Mapped[float | None]  # percent, 0-100
    critical_score: Mapped[float | None]  # percent on critical items, None when there were none
    passed: Mapped[bool | None]

    user: Mapped[User] = relationship()
    bank: Mapped[Bank] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS


class AttemptQuestion(db.Model):
    """One drawn question: which revision, at which position, with which option order."""

    __tablename__ = "attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "position"), UniqueConstraint("attempt_id", "revision_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revision.id", ondelete="RESTRICT"), index=True)
    choice_order: Mapped[list[int]] = mapped_column(JSON)  # Choice ids in display order
    # Must-pass item for this attempt (bank or clinic rule at the time of the draw).
    critical: Mapped[bool] = mapped_column(default=False, server_default=false())

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    revision: Mapped[QuestionRevision] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="attempt_question", uselist=False)


class Response(db.Model):
    """The trainee's answer to one drawn question, saved as it is given and scored on submit."""

    __tablename__ = "response"
    __table_args__ = (CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score_fraction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_question_id: Mapped[int] = mapped_column(ForeignKey("attempt_question.id", ondelete="CASCADE"), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    answered_at: Mapped[dt.datetime | None]  # None: never answered (row made at scoring)
    score: Mapped[float | None]  # fraction 0-1, set when the attempt is scored
    is_correct: Mapped[bool | None]

    attempt_question: Mapped[AttemptQuestion] = relationship(back_populates="response")
    selections: Mapped[list[ResponseChoice]] = relationship(back_populates="response", cascade="all, delete-orphan")

    @property
    def choice_ids(self) -> set[int]:
        return {s.choice_id for s in self.selections}


class ResponseChoice(db.Model):
    __tablename__ = "response_choice"

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    choice_id: Mapped[int] = mapped_column(ForeignKey("choice.id", ondelete="RESTRICT"), primary_key=True, index=True)

    response: Mapped[Response] = relationship(back_populates="selections")
    choice: Mapped[Choice] = relationship()
