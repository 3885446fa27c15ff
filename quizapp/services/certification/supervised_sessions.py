"""Supervised needling sessions: logged by trainees, signed off by a supervisor of their clinic.

A log must not identify a patient. ``identifier_problems`` refuses the obvious identifiers
(dates of birth, record or phone numbers, e-mail addresses, titled names); it cannot catch
everything, so the form also tells the trainee what not to write.
"""

from __future__ import annotations

import datetime as dt
import re

from ...extensions import db
from ...models import BODY_REGIONS, SessionState, SupervisedSession, User, utcnow
from ..people import audit_trail
from . import evaluation

IDENTIFIER_PATTERNS = [
    (re.compile(r"\b(d\.?o\.?b\.?|date of birth|born on|birth ?date)\b", re.I), "a date of birth"),
    (re.compile(r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(\d{4}|\d{2})\b"), "a date (possibly a date of birth)"),
    (
        re.compile(
            r"\b\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b", re.I
        ),
        "a date (possibly a date of birth)",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "an e-mail address"),
    (re.compile(r"(\+?\d[\d\s()-]{7,}\d)"), "a phone, record or ID number"),
    (re.compile(r"\b(mrn|nhs|medicare|ssn|record (no|number)|patient id)\b", re.I), "a record or ID number"),
    (re.compile(r"\b(?i:mr|mrs|ms|miss|mx|dr)\.?\s+[A-Z][a-z]+"), "a patient's name"),
]


class PracticeLogError(Exception):
    pass


def identifier_problems(*texts: str) -> list[str]:
    found = []
    for text in texts:
        for pattern, what in IDENTIFIER_PATTERNS:
            if text and pattern.search(text) and what not in found:
                found.append(what)
    return found


def log_session(
    trainee: User, session_date: dt.date, region: str, muscles: str, safety_notes: str
) -> SupervisedSession:
    if not trainee.is_trainee:
        raise PracticeLogError("Only trainees log supervised sessions.")
    if region not in BODY_REGIONS:
        raise PracticeLogError("Choose a body region from the list.")
    today = utcnow().date()
    if session_date > today:
        raise PracticeLogError("The session date cannot be in the future.")
    if session_date < today - dt.timedelta(days=366):
        raise PracticeLogError("Sessions older than a year cannot be logged; ask your supervisor.")
    problems = identifier_problems(muscles, safety_notes)
    if problems:
        raise PracticeLogError(
            "Remove patient-identifying details before saving: the text looks like it contains "
            + ", ".join(problems)
            + "."
        )
    session = SupervisedSession(
        trainee_id=trainee.id,
        session_date=session_date,
        region=region,
        muscles=muscles.strip(),
        safety_notes=safety_notes.strip(),
    )
    db.session.add(session)
    db.session.commit()
    return session


def review(session: SupervisedSession, supervisor: User, sign_off: bool, comment: str) -> None:
    """Sign off or return a pending log. The caller has scoped ``session`` to the supervisor's clinic."""
    if not supervisor.is_supervisor or session.trainee.clinic_id != supervisor.clinic_id:
        raise PracticeLogError("Only a supervisor of the trainee's clinic can review this log.")
    if session.trainee_id == supervisor.id:
        raise PracticeLogError("Nobody can sign off their own session.")
    if session.status != SessionState.PENDING:
        raise PracticeLogError("This log has already been reviewed.")
    if not sign_off and not comment.strip():
        raise PracticeLogError("Say why the log is returned, so the trainee can fix it.")
    session.status = SessionState.SIGNED_OFF if sign_off else SessionState.RETURNED
    session.reviewed_by_id = supervisor.id
    session.reviewed_at = utcnow()
    session.review_comment = comment.strip() or None
    audit_trail.record(
        "session.signed_off" if sign_off else "session.returned",
        actor=supervisor,
        subject=session.trainee,
        session_id=session.id,
        comment=comment.strip(),
    )
    db.session.commit()
    if sign_off:
        evaluation.refresh(session.trainee)
