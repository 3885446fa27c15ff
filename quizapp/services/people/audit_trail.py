"""Record security- and grading-relevant events in the audit trail (within the caller's transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...extensions import db
from ...models import AuditEvent, User


def record(
    kind: str,
    actor: User | None = None,
    subject: User | None = None,
    clinic_id: int | None = None,
    at: dt.datetime | None = None,
    **details: Any,
) -> AuditEvent:
    """Add the event to the session (the caller commits); ``at`` defaults to the clock."""
    if clinic_id is None:
        clinic_id = (subject or actor).clinic_id if (subject or actor) else None
    event = AuditEvent(
        kind=kind,
        actor_id=actor.id if actor else None,
        subject_user_id=subject.id if subject else None,
        clinic_id=clinic_id,
        details=details,
    )
    if at is not None:
        event.at = at
    db.session.add(event)
    return event
