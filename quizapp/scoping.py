"""Which clinic and which people the current user may see. Anything outside is a 404."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from .extensions import db
from .models import Clinic, Role, User


def database_id(value: str) -> int:
    """A query-string id: digits that fit an INTEGER column (anything else is ignored, never an overflow)."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 0 < int(value) < 2**31:
        raise ValueError(value)
    return int(value)


def clinic_in_scope() -> Clinic:
    """Supervisors: their own clinic. Admins: the clinic named by ?clinic=, else the first."""
    if current_user.is_admin:
        wanted = request.args.get("clinic", type=database_id)
        query = select(Clinic).order_by(Clinic.name)
        clinic = db.session.get(Clinic, wanted) if wanted else db.session.scalars(query).first()
    else:
        clinic = current_user.clinic
        named = request.args.get("clinic")
        if named is not None and named != str(current_user.clinic_id):
            abort(404)  # another clinic's data does not exist for a supervisor
    if clinic is None:
        abort(404)
    return clinic


def trainee_in_scope(user_id: int) -> User:
    query = select(User).where(User.id == user_id, User.role == Role.TRAINEE)
    if not current_user.is_admin:
        query = query.where(User.clinic_id == current_user.clinic_id)
    return db.first_or_404(query)
