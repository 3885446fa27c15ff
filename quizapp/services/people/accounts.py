"""People: create accounts, authenticate, change passwords. Owns its transactions."""

from __future__ import annotations

from sqlalchemy import func, select

from ...extensions import db
from ...models import Clinic, Role, User, utcnow
from . import audit_trail, login_sessions, names
from .passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password


class AccountError(Exception):
    """A rule stopped the change; the message is written for the person doing it."""


def clean_name(text: str, what: str = "A name") -> str:
    """``names.clean`` with its refusal as an ``AccountError``."""
    try:
        return names.clean(text, what)
    except names.BadName as exc:
        raise AccountError(str(exc)) from exc


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def find_clinic(name: str) -> Clinic | None:
    return db.session.scalar(select(Clinic).where(func.lower(Clinic.name) == name.strip().lower()))


def get_or_create_clinic(name: str) -> Clinic:
    name = clean_name(name, "A clinic's name")
    clinic = find_clinic(name)
    if clinic is None:
        clinic = Clinic(name=name)
        db.session.add(clinic)
        db.session.flush()
    return clinic


def create_user(
    email: str,
    name: str,
    password: str,
    role: str,
    clinic: Clinic | None,
    created_by: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an account; raises ``AccountError`` for a taken e-mail, a weak password or a missing clinic.

    ``password_hash``, when given, is ``hash_password(password)`` made already: argon2 is slow by
    design, so the demo hashes its one password once for all its accounts.
    """
    if role not in set(Role):
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(Role)}")
    if role != Role.ADMIN and clinic is None:
        raise AccountError("trainees and supervisors belong to a clinic")
    if len(password) < MIN_LENGTH:
        raise AccountError(f"password must be at least {MIN_LENGTH} characters")
    if find_user(email) is not None:
        raise AccountError(f"an account for {normalise_email(email)} already exists")
    user = User(
        email=normalise_email(email),
        name=clean_name(name),
        password_hash=password_hash or hash_password(password),
        role=role,
        clinic=clinic,
    )
    db.session.add(user)
    db.session.flush()
    audit_trail.record("user.created", actor=created_by, subject=user, role=role)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user when the password is right and the account active; records the outcome.

    Unknown e-mail and wrong password take the same path and time (a dummy hash is verified).
    """
    user = find_user(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        audit_trail.record(
            "login.failure",
            subject=user,
            email=normalise_email(email)[:254],
            reason="inactive" if ok and user is not None else "bad_credentials",
        )
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.previous_login_at = user.last_login_at  # "since your last visit" counts from here
    user.last_login_at = utcnow()
    audit_trail.record("login.success", actor=user, subject=user)
    db.session.commit()
    return user


class WrongPassword(AccountError):
    """The current password given was not right (counted against the account by the rate limiter)."""


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Replace the password; every other session of the user ends (``keep_session`` is this one's token)."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword("Your current password is not right.")
    if len(new) < MIN_LENGTH:
        raise AccountError(f"The new password must be at least {MIN_LENGTH} characters.")
    user.password_hash = hash_password(new)
    user.session_version += 1
    user.must_change_password = False
    login_sessions.end_all(user.id, "password_changed", keep=keep_session)
    audit_trail.record("password.changed", actor=user, subject=user)
    db.session.commit()
