"""Admins manage clinics and people; every change that alters what someone may do is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Clinic, Role, User
from . import accounts, audit_trail, names

REGISTRATION_MAX = 40
REGISTRATION_PUNCTUATION = frozenset(" -./:")
UNCHANGED: Any = object()  # ``update_user(registration_number=...)`` left out: keep the number


def clean_registration_number(text: str | None) -> str | None:
    """A professional registration number as stored and printed ("PH12345", "CORU PT012345");
    None for a blank one. Raises ``AccountError``: it is printed on certificates and the public
    verify page, so only letters, digits, spaces and ``- . / :`` are accepted.
    """
    if text is None or not text.strip():
        return None
    try:
        value = names.clean(text, "The registration number")
    except names.BadName as exc:
        raise accounts.AccountError(str(exc)) from exc
    if len(value) > REGISTRATION_MAX:
        raise accounts.AccountError(f"The registration number has more than {REGISTRATION_MAX} characters.")
    if not all(ch.isalnum() or ch in REGISTRATION_PUNCTUATION for ch in value):
        raise accounts.AccountError("A registration number holds letters, digits, spaces and - . / : only.")
    return value


def create_clinic(admin: User, name: str) -> Clinic:
    """A new clinic; raises ``AccountError`` when the name (case-insensitively) is taken."""
    name = accounts.clean_name(name, "A clinic's name")
    if accounts.find_clinic(name) is not None:
        raise accounts.AccountError(f"A clinic called {name!r} already exists.")
    clinic = Clinic(name=name)
    db.session.add(clinic)
    db.session.flush()
    audit_trail.record("clinic.created", actor=admin, clinic_id=clinic.id, name=name)
    db.session.commit()
    return clinic


def update_user(
    admin: User,
    user: User,
    *,
    role: str,
    clinic: Clinic | None,
    active: bool,
    registration_number: str | None = UNCHANGED,
) -> list[str]:
    """Change someone's role, clinic, active flag or registration number; returns what changed, in words.

    A change of role, clinic or a deactivation bumps ``session_version`` so that the person's
    open sessions end at once: rights must not outlive the decision to remove them. A new
    registration number changes no rights, so sessions stay open.
    """
    if role not in set(Role):
        raise accounts.AccountError(f"Unknown role {role!r}.")
    if role != Role.ADMIN and clinic is None:
        raise accounts.AccountError("Trainees and supervisors belong to a clinic.")
    if user.id == admin.id and (role != Role.ADMIN or not active):
        raise accounts.AccountError("You cannot remove your own administrator rights or deactivate yourself.")
    if registration_number is not UNCHANGED:
        registration_number = clean_registration_number(registration_number)
    changes: list[str] = []
    if user.role != role:
        audit_trail.record("user.role_changed", actor=admin, subject=user, old=user.role, new=role)
        changes.append(f"role {user.role} → {role}")
        user.role = role
    new_clinic_id = clinic.id if clinic else None
    if user.clinic_id != new_clinic_id:
        audit_trail.record("user.clinic_changed", actor=admin, subject=user, old=user.clinic_id, new=new_clinic_id)
        changes.append(f"clinic → {clinic.name if clinic else 'none'}")
        user.clinic = clinic
    if user.active != active:
        audit_trail.record("user.activated" if active else "user.deactivated", actor=admin, subject=user)
        changes.append("activated" if active else "deactivated")
        user.active = active
    if changes:
        user.session_version += 1
    if registration_number is not UNCHANGED and user.registration_number != registration_number:
        audit_trail.record(
            "user.registration_changed",
            actor=admin,
            subject=user,
            old=user.registration_number,
            new=registration_number,
        )
        changes.append(
            f"registration number → {registration_number}" if registration_number else "registration number removed"
        )
        user.registration_number = registration_number
    if changes:
        db.session.commit()
    return changes


def everyone() -> list:
    """Every account with its clinic's name, grouped by clinic, then role, then name (one query)."""
    return list(
        db.session.execute(select(User, Clinic.name).outerjoin(Clinic).order_by(Clinic.name, User.role, User.name))
    )
