"""Read the audit trail for the admin viewer: newest first, filtered, one page at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import AuditEvent, Clinic, User
from . import audit_sentences

PAGE_SIZE = 50


@dataclasses.dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime
    kind: str
    actor: str | None
    subject: str | None
    clinic: str | None
    details: dict[str, Any]
    sentence: str = ""  # the event in words, with names (audit_sentences)


@dataclasses.dataclass(frozen=True)
class Page:
    entries: list[Entry]
    page: int
    pages: int
    total: int
    kinds: list[str]


def events(kind: str = "", clinic_id: int | None = None, page: int = 1, subject_user_id: int | None = None) -> Page:
    """One page of events; ``kind`` matches exactly or as a prefix ending in a dot (``login.``)."""
    actor, subject = aliased(User), aliased(User)
    conditions = []
    if kind:
        conditions.append(
            AuditEvent.kind.startswith(kind, autoescape=True) if kind.endswith(".") else AuditEvent.kind == kind
        )
    if clinic_id is not None:
        conditions.append(AuditEvent.clinic_id == clinic_id)
    if subject_user_id is not None:
        conditions.append(AuditEvent.subject_user_id == subject_user_id)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(AuditEvent, actor.name, subject.name, Clinic.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_user_id)
        .outerjoin(Clinic, Clinic.id == AuditEvent.clinic_id)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    kinds = list(db.session.scalars(select(AuditEvent.kind).distinct().order_by(AuditEvent.kind)))
    names = audit_sentences.Names.load()
    entries = [
        Entry(
            e.id,
            e.at,
            e.kind,
            actor_name,
            subject_name,
            clinic_name,
            e.details or {},
            audit_sentences.sentence(e.kind, actor_name, subject_name, e.details or {}, names),
        )
        for e, actor_name, subject_name, clinic_name in rows
    ]
    return Page(entries, page, pages, total, kinds)
