"""Certification: each clinic's programme (rules), supervised practice, accommodations, certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .banks import Bank, Subtopic
from .people import Clinic, User
from .time import utcnow

BODY_REGIONS = {
    "head-neck": "Head and neck",
    "cervicothoracic": "Cervical / thoracic (over the lung fields)",
    "shoulder-upper-limb": "Shoulder and upper limb",
    "lumbopelvic": "Lumbar spine and pelvis",
    "hip-lower-limb": "Hip and lower limb",
}


class Programme(db.Model):
    """A clinic's certification rules. One per clinic, created with defaults.

    With ``require_all_banks`` every bank must be passed; ``ProgrammeBank`` rows then only
    raise or lower a bank's mark. Without it, exactly the listed banks are required.
    """

    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint("validity_months BETWEEN 1 AND 120", name="validity_range"),
        CheckConstraint("sessions_required >= 0", name="sessions_non_negative"),
        CheckConstraint("critical_min IS NULL OR critical_min BETWEEN 1 AND 100", name="critical_min_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), unique=True)
    require_all_banks: Mapped[bool] = mapped_column(default=True)
    validity_months: Mapped[int] = mapped_column(default=24)
    sessions_required: Mapped[int] = mapped_column(default=20)
    critical_min: Mapped[int | None]  # overrides each bank's critical minimum when set
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    clinic: Mapped[Clinic] = relationship()
    banks: Mapped[list[ProgrammeBank]] = relationship(back_populates="programme", cascade="all, delete-orphan")
    regions: Mapped[list[RegionMinimum]] = relationship(back_populates="programme", cascade="all, delete-orphan")
    critical_subtopics: Mapped[list[ProgrammeCriticalSubtopic]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )


class ProgrammeBank(db.Model):
    """A bank the programme requires, and the mark needed (None: the bank's own pass mark)."""

    __tablename__ = "programme_bank"
    __table_args__ = (
        UniqueConstraint("programme_id", "bank_id"),
        CheckConstraint("min_score IS NULL OR min_score BETWEEN 1 AND 100", name="min_score_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    min_score: Mapped[int | None]

    programme: Mapped[Programme] = relationship(back_populates="banks")
    bank: Mapped[Bank] = relationship()


class RegionMinimum(db.Model):
    __tablename__ = "region_minimum"
    __table_args__ = (UniqueConstraint("programme_id", "region"), CheckConstraint("minimum >= 1", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(32))
    minimum: Mapped[int]

    programme: Mapped[Programme] = relationship(back_populates="regions")


class ProgrammeCriticalSubtopic(db.Model):
    """A sub-topic the clinic treats as must-pass, on top of those the bank marks critical."""

    __tablename__ = "programme_critical_subtopic"
    __table_args__ = (UniqueConstraint("programme_id", "subtopic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    subtopic_id: Mapped[int] = mapped_column(ForeignKey("subtopic.id", ondelete="CASCADE"))

    programme: Mapped[Programme] = relationship(back_populates="critical_subtopics")
    subtopic: Mapped[Subtopic] = relationship()


class Accommodation(db.Model):
    """Adjustments for one trainee (more time, more attempts), with the reason and who granted them."""

    __tablename__ = "accommodation"
    __table_args__ = (
        CheckConstraint("time_multiplier >= 1 AND time_multiplier <= 4", name="multiplier_range"),
        CheckConstraint("extra_attempts >= 0 AND extra_attempts <= 20", name="extra_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    time_multiplier: Mapped[float] = mapped_column(default=1.0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SessionState:
    PENDING = "pending"
    SIGNED_OFF = "signed_off"
    RETURNED = "returned"


class SupervisedSession(db.Model):
    """One supervised needling session logged by a trainee. Holds no patient-identifying data."""

    __tablename__ = "supervised_session"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'signed_off', 'returned')", name="status_known"),
        CheckConstraint("status = 'pending' OR reviewed_by_id IS NOT NULL", name="reviewed_has_reviewer"),
        # The dashboard reads each trainee's latest session and the clinic's session counts from
        # this index alone (PostgreSQL: an index-only scan, not a scan of every clinic's sessions).
        Index(
            "ix_supervised_session_trainee_activity",
            "trainee_id",
            "created_at",
            postgresql_include=["id", "reviewed_at"],
        ),
        # Certification status counts each trainee's sessions by status and region, and finds the
        # sign-off that met each minimum (the Nth in sign-off order): both from these indexes,
        # per trainee, not from a scan of every clinic's sessions.
        Index("ix_supervised_session_tally", "trainee_id", "status", "region"),
        Index(
            "ix_supervised_session_sign_off_order",
            "trainee_id",
            "reviewed_at",
            "session_date",
            "id",
            postgresql_include=["region"],
            sqlite_where=text("status = 'signed_off'"),
            postgresql_where=text("status = 'signed_off'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_date: Mapped[dt.date]
    region: Mapped[str] = mapped_column(String(32))
    muscles: Mapped[str] = mapped_column(String(300))
    safety_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=SessionState.PENDING, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class Certificate(db.Model):
    """A certificate issued when a trainee became certified. Never deleted; revoked with a reason.

    Among unrevoked certificates ``(user_id, expires_on)`` is unique: the same term of
    certification is certified once, however many requests race to issue it.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        Index(
            "uq_certificate_one_per_term",
            "user_id",
            "expires_on",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    earned_at: Mapped[dt.datetime]  # when the last requirement was met
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[dt.date]
    requirements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # what was met, as issued
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    clinic: Mapped[Clinic] = relationship()


class ReminderSent(db.Model):
    """One expiry reminder per certificate per threshold (90, 60, 30 days)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("certificate_id", "threshold_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"))
    threshold_days: Mapped[int]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    emailed: Mapped[bool] = mapped_column(default=False)
