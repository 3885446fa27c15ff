"""Server-side record of each login, so that logging out (or a reset) really ends a session.

Flask's session lives in a signed cookie: without a record on the server, a cookie copied before
logout would keep working until it expired. Each login stores a random token in the cookie and
only its SHA-256 here; the user loader accepts a cookie only while its row is not ended.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import update

from ...extensions import db
from ...models import LoginSession, User, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user: User) -> str:
    """A new live session for ``user`` (committed); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=hash_token(token)))
    db.session.commit()
    return token


def end(token: str | None, reason: str = "logout") -> None:
    """End the session holding ``token``; a missing or already ended one is left as it is."""
    if not token:
        return
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == hash_token(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    db.session.commit()


def end_all(user_id: int, reason: str, keep: str | None = None) -> int:
    """End every live session of the user except ``keep`` (a token), within the caller's transaction."""
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep:
        query = query.where(LoginSession.token_hash != hash_token(keep))
    return db.session.execute(query.values(ended_at=utcnow(), ended_reason=reason)).rowcount
