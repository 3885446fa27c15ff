"""Clinics and the people in them."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Float, ForeignKey, LargeBinary, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .time import utcnow


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Clinic(db.Model):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Times are stored in UTC and shown in the clinic's zone (an IANA name, e.g. "Europe/Dublin").
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The clinic's lead, who signs its certificates, and the logo printed on them (PNG or JPEG).
    signatory_name: Mapped[str | None] = mapped_column(String(120))
    signatory_title: Mapped[str | None] = mapped_column(String(120))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_mime: Mapped[str | None] = mapped_column(String(32))

    users: Mapped[list[User]] = relationship(back_populates="clinic")

    def __repr__(self) -> str:
        return f"<Clinic {self.name!r}>"


class User(UserMixin, db.Model):
    """A person who logs in. Trainees and supervisors belong to a clinic; admins may not."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('trainee', 'supervisor', 'admin')", name="role_known"),
        CheckConstraint("role = 'admin' OR clinic_id IS NOT NULL", name="clinic_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.TRAINEE)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change: every other session of this user stops being valid.
    session_version: Mapped[int] = mapped_column(default=1)
    # Set by an administrator's reset: the person must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # The login before this one: "what happened since your last visit" counts from here.
    previous_login_at: Mapped[dt.datetime | None]
    # A professional registration number (optional), printed on the certificate.
    registration_number: Mapped[str | None] = mapped_column(String(40))

    # Joined: every page header shows the clinic, so load it with the user in one query.
    clinic: Mapped[Clinic | None] = relationship(back_populates="users", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_trainee(self) -> bool:
        return self.role == Role.TRAINEE

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.email!r} {self.role}>"


class LoginSession(db.Model):
    """One login on one browser. Logout ends it on the server, so a copied cookie stops working.

    The browser's session holds a random token; only its SHA-256 is stored here.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))


class RateLimitCounter(db.Model):
    """Fixed-window counters of the rate limiter, shared by every worker through the database."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float)  # epoch seconds


class SharedClinicFigures(db.Model):
    """The dashboard's derived figures for a clinic, computed by one worker for the others.

    Never a source of truth: a row serves only a view whose fingerprint (a digest of everything
    the figures depend on) it matches, and may be deleted at any time."""

    __tablename__ = "shared_clinic_figures"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256, hex
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # signed pickle of ClinicFigures
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
