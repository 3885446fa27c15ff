"""Expiry reminders: once per certificate per threshold (90, 60, 30 days), e-mailed where mail is set up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Certificate, ReminderSent, User, utcnow
from .. import mail

THRESHOLDS = (90, 60, 30)


@dataclass(frozen=True)
class Reminder:
    certificate: Certificate
    user: User
    threshold: int
    days_left: int
    emailed: bool


def send_due(today: dt.date | None = None) -> list[Reminder]:
    """Record (and e-mail) every reminder now due. A run that misses a threshold sends only the tightest."""
    today = today or utcnow().date()
    horizon = today + dt.timedelta(days=max(THRESHOLDS))
    sent = {(r.certificate_id, r.threshold_days) for r in db.session.scalars(select(ReminderSent))}
    rows = db.session.execute(
        select(Certificate, User)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_on > today,
            Certificate.expires_on <= horizon,
            User.active.is_(True),
        )
        .order_by(Certificate.expires_on)
    ).all()
    user_ids = {user.id for _, user in rows}
    longest = dict(
        db.session.execute(
            select(Certificate.user_id, func.max(Certificate.expires_on))
            .where(Certificate.user_id.in_(user_ids), Certificate.revoked_at.is_(None))
            .group_by(Certificate.user_id)
        ).all()
    )
    out = []
    for cert, user in rows:
        if longest[user.id] > cert.expires_on:
            continue  # already recertified: a newer certificate runs longer
        days_left = (cert.expires_on - today).days
        reached = [t for t in THRESHOLDS if days_left <= t and (cert.id, t) not in sent]
        if not reached:
            continue
        tightest = min(reached)
        emailed = _email(user, cert, days_left)
        for t in reached:
            db.session.add(ReminderSent(certificate_id=cert.id, threshold_days=t, emailed=emailed and t == tightest))
        out.append(Reminder(cert, user, tightest, days_left, emailed))
    db.session.commit()
    return out


def _email(user: User, cert: Certificate, days_left: int) -> bool:
    return mail.send(
        user.email,
        f"Your dry-needling certification expires in {days_left} days",
        f"Hello {user.name},\n\nYour certification expires on {cert.expires_on:%d %B %Y}. "
        "To recertify, pass the required quizzes again before then.\n",
    )
