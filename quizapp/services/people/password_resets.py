"""Password resets: by an administrator (a temporary password, changed at next login) or by the
person through a single-use link e-mailed to them (where mail is configured).

A reset link is a signed token naming the account, its session version and the tail of its
password hash: it stops working after 30 minutes, after it is used (the hash and the version
change), and after any other password change. Using it ends every session of the account.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...extensions import db
from ...models import User
from .. import mail
from . import accounts, audit_trail, login_sessions
from .passwords import MIN_LENGTH, hash_password

TOKEN_MAX_AGE = 30 * 60  # seconds
SALT = "password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> dict:
    return {"u": user.id, "v": user.session_version, "h": user.password_hash[-16:]}


def reset_by_admin(admin: User, user: User) -> str:
    """Give ``user`` a temporary password to hand over in person; they must replace it at next login."""
    temporary = secrets.token_urlsafe(12)
    _set_password(user, temporary, reason="reset_by_admin")
    user.must_change_password = True
    audit_trail.record("password.reset_by_admin", actor=admin, subject=user)
    db.session.commit()
    return temporary


def request_link(email: str, link_for) -> None:
    """E-mail a reset link to an active account with this address; silent either way (no enumeration).

    ``link_for(token)`` builds the absolute link (from PUBLIC_URL, never the request's Host).
    """
    user = accounts.find_user(email)
    if user is None or not user.active or not mail.configured():
        return
    token = _serializer().dumps(_fingerprint(user))
    mail.send(
        user.email,
        "Reset your Needlework password",
        f"Hello {user.name},\n\nSomeone (we hope you) asked to reset your Needlework password. "
        f"Open this link within 30 minutes to choose a new one:\n\n{link_for(token)}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )
    audit_trail.record("password.reset_requested", subject=user)
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """The account a live, unused link belongs to; None for a forged, expired or spent one."""
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or _fingerprint(user) != data:
        return None
    return user


def complete_with_link(user: User, new_password: str) -> None:
    """Set the new password from a reset link: the link is spent and every session ends."""
    _set_password(user, new_password, reason="reset_link")
    user.must_change_password = False
    audit_trail.record("password.reset_completed", actor=user, subject=user)
    db.session.commit()


def _set_password(user: User, password: str, reason: str) -> None:
    if len(password) < MIN_LENGTH:
        raise accounts.AccountError(f"The new password must be at least {MIN_LENGTH} characters.")
    user.password_hash = hash_password(password)
    user.session_version += 1
    login_sessions.end_all(user.id, reason)
