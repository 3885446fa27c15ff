"""An append-only trail of events that someone may later need to account for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .time import utcnow

# Events about signing in and passwords: they change nothing that a certification status or a
# dashboard shows. A login is the commonest event of all, so the dashboard's status cache must not
# take one for a change (it did: every login in a clinic made each worker evaluate it afresh).
SIGN_IN_KINDS = (
    "login.success",
    "password.changed",
    "password.reset_requested",
    "password.reset_completed",
    "password.reset_by_admin",
)
# The same predicate text for the index and for the query that must use it.
NOT_SIGN_IN = "kind NOT IN ({})".format(", ".join(f"'{kind}'" for kind in SIGN_IN_KINDS))


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        # The latest event of a clinic that may change a status: one index probe, however many
        # logins the clinic's trail holds.
        Index(
            "ix_audit_event_clinic_status_events",
            "clinic_id",
            "id",
            sqlite_where=text(NOT_SIGN_IN),
            postgresql_where=text(NOT_SIGN_IN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="SET NULL"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
