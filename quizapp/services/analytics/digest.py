"""The supervisors' weekly digest: each clinic's trainees at risk, e-mailed to every active supervisor.

A trainee (active account) is at risk when any of these holds:
- **inactive**: no login, attempt or session log for ``INACTIVE_DAYS`` days (counted from the
  account's creation for someone who never started). Certified trainees are left out: they have
  nothing to do until their certification nears its end, which the next reason covers;
- **expiring**: certified, and the certification ends within ``EXPIRING_DAYS`` (60) days;
- **critical item failed twice**: two or more submitted attempts of one bank missed its critical
  items (critical score under the attempt's minimum), and no attempt of that bank passed since.

Statuses and last activity come from the dashboard's rows (``dashboard.all_rows``), so the digest
and the supervisor's screen can never disagree. Nothing is stored: run it weekly from cron.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, func, select

from ...clinic_time import to_local, today_for, zone
from ...extensions import db
from ...models import Attempt, AttemptState, Bank, Clinic, Role, User, utcnow
from ...public_urls import public_link
from .. import mail
from ..certification.evaluation import EXPIRING_DAYS, Status
from . import dashboard

INACTIVE_DAYS = 30


@dataclass(frozen=True)
class AtRisk:
    user_id: int
    name: str
    email: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Digest:
    """One supervisor's digest: who is at risk, and whether it was e-mailed (``error`` when sending failed)."""

    supervisor: User
    clinic: Clinic
    trainees: list[AtRisk]
    emailed: bool = False
    error: str | None = None


def at_risk(clinic: Clinic, today: dt.date) -> list[AtRisk]:
    """The clinic's active trainees at risk on ``today`` (the clinic's date), by name, each with its reasons."""
    where = zone(clinic.timezone)
    _, rows = dashboard.all_rows(clinic.id, today)
    opened = dict(
        db.session.execute(
            select(User.id, User.created_at).where(
                User.clinic_id == clinic.id, User.role == Role.TRAINEE, User.active.is_(True)
            )
        ).all()
    )
    critical = _critical_failures(clinic.id)
    cutoff = dt.datetime.combine(today - dt.timedelta(days=INACTIVE_DAYS), dt.time())
    out = []
    for row in rows:
        if row.user.id not in opened:
            continue  # deactivated: a leaver is nobody's risk
        reasons = []
        status = row.status.status
        last = row.last_activity or opened[row.user.id]
        if status not in (Status.CERTIFIED, Status.EXPIRING) and last < cutoff:
            days = (today - to_local(last, where).date()).days
            since = "last active" if row.last_activity else "no activity since the account was opened on"
            reasons.append(f"inactive for {days} days ({since} {to_local(last, where):%d %b %Y})")
        if status == Status.EXPIRING:
            left = (row.status.expires_on - today).days
            reasons.append(f"certification expires on {row.status.expires_on:%d %b %Y} ({left} days)")
        for bank_title, fails, last_fail in critical.get(row.user.id, []):
            reasons.append(
                f"missed the critical items of {bank_title} in {fails} attempts "
                f"(last on {to_local(last_fail, where):%d %b %Y}), not passed since"
            )
        if reasons:
            out.append(AtRisk(row.user.id, row.user.name, row.user.email, tuple(reasons)))
    return out


def _critical_failures(clinic_id: int) -> dict[int, list[tuple[str, int, dt.datetime]]]:
    """Per trainee: (bank title, attempts that missed the critical items, the last of them), for each bank
    missed at least twice and not passed since. One grouped query over the clinic's attempts."""
    missed = and_(Attempt.critical_score.is_not(None), Attempt.critical_score < Attempt.critical_min)
    fails = func.count().filter(missed)
    last_fail = func.max(Attempt.submitted_at).filter(missed)
    last_pass = func.max(Attempt.submitted_at).filter(Attempt.passed.is_(True))
    out: dict[int, list[tuple[str, int, dt.datetime]]] = {}
    for user_id, title, n, failed_at, passed_at in db.session.execute(
        select(Attempt.user_id, Bank.title, fails, last_fail, last_pass)
        .join(Bank, Bank.id == Attempt.bank_id)
        .join(User, User.id == Attempt.user_id)
        .where(User.clinic_id == clinic_id, User.role == Role.TRAINEE, Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.user_id, Bank.id, Bank.title)
        .having(fails >= 2)
        .order_by(Bank.title)
    ):
        if passed_at is None or passed_at < failed_at:
            out.setdefault(user_id, []).append((title, n, failed_at))
    return out


def send_weekly(now: dt.datetime | None = None) -> list[Digest]:
    """Work out each clinic's trainees at risk once, and e-mail the list to each of its active supervisors
    (where mail is configured; nobody is e-mailed an empty list). A failed send is reported in its
    ``Digest`` and the others still go out."""
    now = now or utcnow()
    supervisors = db.session.scalars(
        select(User)
        .join(Clinic, Clinic.id == User.clinic_id)
        .where(User.role == Role.SUPERVISOR, User.active.is_(True))
        .order_by(Clinic.name, User.email)
    ).all()
    found: dict[int, tuple[dt.date, list[AtRisk]]] = {}
    out = []
    for supervisor in supervisors:
        clinic = supervisor.clinic
        if clinic.id not in found:
            today = today_for(clinic.timezone, now)
            found[clinic.id] = (today, at_risk(clinic, today))
        today, trainees = found[clinic.id]
        if not trainees or not mail.configured():
            out.append(Digest(supervisor, clinic, trainees))
            continue
        try:
            mail.send(supervisor.email, _subject(clinic, trainees), _body(supervisor, clinic, trainees, today))
        except (OSError, smtplib.SMTPException) as exc:
            current_app.logger.warning("digest to %s not sent: %s", supervisor.email, exc)
            out.append(Digest(supervisor, clinic, trainees, error=f"{exc.__class__.__name__}: {exc}"))
        else:
            out.append(Digest(supervisor, clinic, trainees, emailed=True))
    return out


def _subject(clinic: Clinic, trainees: list[AtRisk]) -> str:
    n = len(trainees)
    return f"Needlework weekly: {n} trainee{'' if n == 1 else 's'} at risk at {clinic.name}"


def _body(supervisor: User, clinic: Clinic, trainees: list[AtRisk], today: dt.date) -> str:
    lines = [
        f"Hello {supervisor.name},",
        "",
        f"Trainees of {clinic.name} who may need a word this week (as of {today:%d %b %Y}):",
        "",
    ]
    for t in trainees:
        lines.append(f"- {t.name} ({t.email})")
        lines += [f"    {reason}" for reason in t.reasons]
    link = public_link("supervisor.home")
    if link:
        lines += ["", f"Clinic progress: {link}"]
    lines += [
        "",
        f"At risk means: inactive for {INACTIVE_DAYS} days, certification ending within {EXPIRING_DAYS} days, "
        "or a bank's critical items missed twice.",
    ]
    return "\n".join(lines) + "\n"
