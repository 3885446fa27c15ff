"""Psychometric results and standard setting: Rasch calibrations, Angoff ratings, adopted pass marks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .banks import Bank, QuestionRevision
from .people import Clinic, User
from .time import utcnow


class CalibrationRun(db.Model):
    """The latest Rasch calibration of one bank, for one clinic or (``clinic_id`` NULL) every clinic.

    One row per bank and scope: a rerun replaces it in one transaction, and the partial unique
    indexes make two runs racing for the same scope end with one winner.
    """

    __tablename__ = "calibration_run"
    __table_args__ = (
        Index(
            "uq_calibration_run_clinic",
            "bank_id",
            "clinic_id",
            unique=True,
            sqlite_where=text("clinic_id IS NOT NULL"),
            postgresql_where=text("clinic_id IS NOT NULL"),
        ),
        Index(
            "uq_calibration_run_everywhere",
            "bank_id",
            unique=True,
            sqlite_where=text("clinic_id IS NULL"),
            postgresql_where=text("clinic_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    data_hash: Mapped[str] = mapped_column(String(64))  # of the responses used: an unchanged rerun is skipped
    method: Mapped[str] = mapped_column(String(32), default="rasch-cml")
    persons: Mapped[int]  # first attempts whose responses informed the difficulties
    extreme_persons: Mapped[int]  # zero or perfect scores, set aside
    iterations: Mapped[int]
    converged: Mapped[bool]
    ability_mean: Mapped[float | None]
    ability_sd: Mapped[float | None]
    separation_reliability: Mapped[float | None]
    # Decision quality at the bank's pass mark, simulated from this calibration.
    pass_mark: Mapped[int | None]
    sem: Mapped[float | None]  # points, for a trainee at the pass mark
    consistency: Mapped[float | None]  # share with the same decision on a second random form
    kappa: Mapped[float | None]

    bank: Mapped[Bank] = relationship()
    clinic: Mapped[Clinic | None] = relationship()
    items: Mapped[list[ItemCalibration]] = relationship(back_populates="run", cascade="all, delete-orphan")


class ItemCalibration(db.Model):
    """One question revision's Rasch difficulty (logits, sum-zero over the run), its SE and fit."""

    __tablename__ = "item_calibration"
    __table_args__ = (UniqueConstraint("run_id", "revision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_run.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revision.id", ondelete="RESTRICT"), index=True)
    difficulty: Mapped[float | None]  # None: no finite estimate (see note)
    se: Mapped[float | None]
    infit: Mapped[float | None]
    outfit: Mapped[float | None]
    responses: Mapped[int]
    note: Mapped[str] = mapped_column(String(40), default="")

    run: Mapped[CalibrationRun] = relationship(back_populates="items")
    revision: Mapped[QuestionRevision] = relationship()


class AngoffRating(db.Model):
    """A rater's judgement (modified Angoff): the chance, in percent, that a just-competent
    physiotherapist answers this revision of a question right. ``clinic_id`` is the rater's clinic
    when they rated (NULL for admins): a clinic's panel is its supervisors and the admins."""

    __tablename__ = "angoff_rating"
    __table_args__ = (
        UniqueConstraint("rater_id", "revision_id"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_percent"),
        Index("ix_angoff_rating_bank_clinic", "bank_id", "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revision.id", ondelete="RESTRICT"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    probability: Mapped[int]
    rated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rater: Mapped[User] = relationship()


class PassMarkAdoption(db.Model):
    """An admin adopted a standard-setting recommendation as a clinic's mark for a bank.

    The ratings behind it are copied in (``ratings``), so later re-ratings never change what
    the adoption rested on.
    """

    __tablename__ = "pass_mark_adoption"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="adopted_mark_percent"),
        Index("ix_pass_mark_adoption_clinic_bank", "clinic_id", "bank_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    adopted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    pass_mark: Mapped[int]
    previous_mark: Mapped[int | None]  # the programme's mark for the bank before (None: the bank's own)
    cut_score: Mapped[float]  # percent, before rounding
    raters: Mapped[int]
    items: Mapped[int]
    ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    bank: Mapped[Bank] = relationship()
    adopted_by: Mapped[User | None] = relationship()
