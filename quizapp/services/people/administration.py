"""Admins manage clinics and people; every change that alters what someone may do is audited."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Clinic, Role, User
from . import accounts, audit_trail


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


def update_user(admin: User, user: User, *, role: str, clinic: Clinic | None, active: bool) -> list[str]:
    """Change someone's role, clinic or active flag; returns what changed, in words.

    A change of role, clinic or a deactivation bumps ``session_version`` so that the person's
    open sessions end at once: rights must not outlive the decision to remove them.
    """
    if role not in set(Role):
        raise accounts.AccountError(f"Unknown role {role!r}.")
    if role != Role.ADMIN and clinic is None:
        raise accounts.AccountError("Trainees and supervisors belong to a clinic.")
    if user.id == admin.id and (role != Role.ADMIN or not active):
        raise accounts.AccountError("You cannot remove your own administrator rights or deactivate yourself.")
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
        db.session.commit()
    return changes


def everyone() -> list:
    """Every account with its clinic's name, grouped by clinic, then role, then name (one query)."""
    return list(
        db.session.execute(select(User, Clinic.name).outerjoin(Clinic).order_by(Clinic.name, User.role, User.name))
    )
