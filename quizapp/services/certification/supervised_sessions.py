"""Supervised needling sessions: logged by trainees, signed off by a supervisor of their clinic.

Reviews (one at a time, or several signed off at once) change a log's status with a conditional
UPDATE, so a double submit or two supervisors at once review and audit each log exactly once; the
trainee is told by e-mail where mail is configured, and on their home page since their last visit.

A log must not identify a patient. ``identifier_problems`` refuses the obvious identifiers
(dates of birth, record or phone numbers, e-mail addresses, titled names); it cannot catch
everything, so the form also tells the trainee what not to write.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased, contains_eager

from ...clinic_time import today_for
from ...extensions import db
from ...models import BODY_REGIONS, SessionState, SupervisedSession, User, utcnow
from ...public_urls import public_link
from .. import mail
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


# Words that may be capitalised in a session log without being anyone's name.
CLINICAL_WORDS = frozenset(
    re.findall(
        r"\w+",
        """upper middle lower left right bilateral both side sides anterior posterior medial lateral deep superficial
    major minor longus brevis magnus maximus medius minimus trapezius levator scapulae rhomboid rhomboids
    infraspinatus supraspinatus subscapularis teres deltoid pectoralis latissimus dorsi serratus scalene scalenes
    sternocleidomastoid splenius capitis cervicis semispinalis suboccipital suboccipitals masseter temporalis
    pterygoid multifidus erector spinae quadratus lumborum iliocostalis longissimus iliopsoas psoas iliacus gluteus
    gluteal piriformis tensor fasciae latae adductor adductors hamstring hamstrings biceps femoris semitendinosus
    semimembranosus rectus vastus lateralis medialis intermedius quadriceps gastrocnemius soleus tibialis peroneus
    fibularis plantaris flexor extensor digitorum hallucis pollicis carpi radialis ulnaris brachii brachialis
    brachioradialis triceps pronator supinator achilles it band itb neck back shoulder hip knee ankle elbow wrist
    thoracic lumbar cervical lumbopelvic no none nil adverse events event soreness bruising bleeding consent patient
    client supervisor session needle needles needling dry twitch ltr trigger point points taut band""",
    )
)
TITLE_WORD = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\b")


class PracticeLogError(Exception):
    pass


class PossibleName(PracticeLogError):
    """The text holds what looks like a person's name; the trainee removes it or confirms it is not one."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(
            f"This looks like a person's name: {', '.join(names)}. Remove it, or tick the box to confirm it is not "
            "a name. Nothing was saved."
        )


def likely_names(*texts: str) -> list[str]:
    """Runs of capitalised words that are not clinical terms ("patient John Smith", "saw Priya today").

    A word that opens a sentence is capitalised anyway, so a single one is a name only when it
    follows "patient" or "client" or stands mid-sentence.
    """
    found: list[str] = []
    for text in texts:
        for sentence in re.split(r"(?<=[.!?;:\n])\s*|,\s*", text or ""):
            words = list(TITLE_WORD.finditer(sentence))
            run: list[str] = []
            for i, match in enumerate(words):
                word = match.group()
                clinical = word.lower() in CLINICAL_WORDS
                opens = match.start() == 0
                after_patient = re.search(r"\b(patient|client|pt)\s+$", sentence[: match.start()], re.I) is not None
                if not clinical and (
                    not opens or after_patient or (i + 1 < len(words) and words[i + 1].start() == match.end() + 1)
                ):
                    run.append(word)
                    continue
                if run:
                    found.append(" ".join(run))
                run = []
            if run:
                found.append(" ".join(run))
    return list(dict.fromkeys(n for n in found if n))


def identifier_problems(*texts: str) -> list[str]:
    found = []
    for text in texts:
        for pattern, what in IDENTIFIER_PATTERNS:
            if text and pattern.search(text) and what not in found:
                found.append(what)
    return found


def log_session(
    trainee: User,
    session_date: dt.date,
    region: str,
    muscles: str,
    safety_notes: str,
    names_confirmed: bool = False,
    now: dt.datetime | None = None,
) -> SupervisedSession:
    """Store a pending log; refuses identifiers, and likely names unless the trainee confirms they are not.

    ``now`` is the moment of logging (default: the clock); the date rules are judged from it.
    """
    now = now or utcnow()
    if not trainee.is_trainee:
        raise PracticeLogError("Only trainees log supervised sessions.")
    if region not in BODY_REGIONS:
        raise PracticeLogError("Choose a body region from the list.")
    today = today_for(trainee.clinic.timezone if trainee.clinic else None, now)  # the clinic's date, not UTC's
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
    names = likely_names(muscles, safety_notes)
    if names and not names_confirmed:
        raise PossibleName(names)
    session = SupervisedSession(
        trainee_id=trainee.id,
        session_date=session_date,
        region=region,
        muscles=muscles.strip(),
        safety_notes=safety_notes.strip(),
        created_at=now,
    )
    db.session.add(session)
    db.session.commit()
    return session


def review(
    session: SupervisedSession, supervisor: User, sign_off: bool, comment: str, now: dt.datetime | None = None
) -> None:
    """Sign off or return a pending log, audited; the trainee is e-mailed where mail is configured.

    The caller has scoped ``session`` to the supervisor's clinic. ``now`` is the moment of the review
    (default: the clock); the certification is refreshed as of its date. Raises ``PracticeLogError``
    when the log is not this supervisor's to review or was reviewed already (also by a racing request).
    """
    now = now or utcnow()
    if not supervisor.is_supervisor or session.trainee.clinic_id != supervisor.clinic_id:
        raise PracticeLogError("Only a supervisor of the trainee's clinic can review this log.")
    if session.trainee_id == supervisor.id:
        raise PracticeLogError("Nobody can sign off their own session.")
    if session.status != SessionState.PENDING:
        raise PracticeLogError("This log has already been reviewed.")
    if not sign_off and not comment.strip():
        raise PracticeLogError("Say why the log is returned, so the trainee can fix it.")
    status = SessionState.SIGNED_OFF if sign_off else SessionState.RETURNED
    if not _mark_reviewed([session], supervisor, status, comment.strip(), now):
        db.session.rollback()
        raise PracticeLogError("This log has already been reviewed.")
    db.session.commit()
    trainee = session.trainee
    if sign_off:
        evaluation.refresh(trainee, now.date())
    _tell_trainee(trainee, [session], supervisor, status)


MAX_BULK = 200  # logs one form post may sign off


@dataclass(frozen=True)
class BulkSignOff:
    """What ``sign_off_many`` did. ``already_reviewed``: logs of the clinic reviewed before this request
    reached them (by a colleague, or by the first of a double submit). ``refused``: ids that are no log
    of the supervisor's clinic, or the supervisor's own; counted, never described."""

    signed: list[SupervisedSession]
    already_reviewed: list[SupervisedSession]
    refused: int

    def messages(self) -> list[tuple[str, str]]:
        """(category, sentence) pairs that report the outcome to the supervisor."""
        out = []
        if self.signed:
            per_trainee: dict[str, int] = {}
            for s in self.signed:
                per_trainee[s.trainee.name] = per_trainee.get(s.trainee.name, 0) + 1
            who = "; ".join(f"{name}: {n}" for name, n in per_trainee.items())
            out.append(("info", f"{_sessions(len(self.signed))} signed off ({who})."))
        if self.already_reviewed:
            which = "; ".join(f"{s.trainee.name}, {s.session_date:%d %b %Y}" for s in self.already_reviewed)
            out.append(
                ("info", f"Already reviewed, left as they were: {_sessions(len(self.already_reviewed))} ({which}).")
            )
        if self.refused:
            out.append(
                ("error", f"Not signed off: {_sessions(self.refused)} not on your clinic's list of logs to review.")
            )
        return out


def _sessions(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'}"


def sign_off_many(session_ids: Iterable[int], supervisor: User, now: dt.datetime | None = None) -> BulkSignOff:
    """Sign off each listed pending log of the supervisor's clinic, each audited as ``review`` audits one.

    One transaction for the lot; then each trainee's certification is refreshed once and each trainee
    gets one e-mail listing their logs. Raises ``PracticeLogError`` for a non-supervisor, an empty
    selection or more than ``MAX_BULK`` logs.
    """
    now = now or utcnow()
    wanted = set(session_ids)
    if not supervisor.is_supervisor:
        raise PracticeLogError("Only a supervisor of the trainee's clinic can review this log.")
    if not wanted:
        raise PracticeLogError("Tick the sessions to sign off first.")
    if len(wanted) > MAX_BULK:
        raise PracticeLogError(f"Sign off at most {MAX_BULK} sessions at a time.")
    supervisor_id = supervisor.id
    found = db.session.scalars(
        select(SupervisedSession)
        .join(SupervisedSession.trainee)
        .where(SupervisedSession.id.in_(wanted), User.clinic_id == supervisor.clinic_id, User.id != supervisor_id)
        .options(contains_eager(SupervisedSession.trainee))
    ).all()
    pending = [s for s in found if s.status == SessionState.PENDING]
    signed_ids = {s.id for s in _mark_reviewed(pending, supervisor, SessionState.SIGNED_OFF, "", now)}
    db.session.commit()
    for trainee_id in sorted({s.trainee_id for s in found if s.id in signed_ids}):
        evaluation.refresh(db.session.get(User, trainee_id), now.date())
    reloaded = _reload([s.id for s in found])
    signed = [s for s in reloaded if s.id in signed_ids]
    by_trainee: dict[int, list[SupervisedSession]] = {}
    for s in signed:
        by_trainee.setdefault(s.trainee_id, []).append(s)
    for theirs in by_trainee.values():
        _tell_trainee(theirs[0].trainee, theirs, supervisor, SessionState.SIGNED_OFF)
    return BulkSignOff(signed, [s for s in reloaded if s.id not in signed_ids], len(wanted) - len(found))


def _mark_reviewed(
    sessions: list[SupervisedSession], supervisor: User, status: str, comment: str, now: dt.datetime
) -> list[SupervisedSession]:
    """Move those of ``sessions`` still pending to ``status`` and audit each; the caller commits.

    Returns the logs this call moved. The UPDATE matches pending rows only: of two racing requests
    each log goes to exactly one (PostgreSQL makes the second wait for the first's row lock, then
    finds the row no longer pending; SQLite lets one writer in at a time).
    """
    if not sessions:
        return []
    moved = set(
        db.session.scalars(
            update(SupervisedSession)
            .where(SupervisedSession.id.in_([s.id for s in sessions]), SupervisedSession.status == SessionState.PENDING)
            .values(status=status, reviewed_by_id=supervisor.id, reviewed_at=now, review_comment=comment or None)
            .returning(SupervisedSession.id)
            .execution_options(synchronize_session=False)
        )
    )
    out = [s for s in sessions if s.id in moved]
    for s in out:
        audit_trail.record(
            "session.signed_off" if status == SessionState.SIGNED_OFF else "session.returned",
            actor=supervisor,
            subject=s.trainee,
            session_id=s.id,
            comment=comment,
            at=now,
        )
    return out


def _reload(ids: list[int]) -> list[SupervisedSession]:
    """The logs with their trainees, fresh after a commit, in one query (by trainee name, then date)."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(SupervisedSession)
            .join(SupervisedSession.trainee)
            .where(SupervisedSession.id.in_(ids))
            .options(contains_eager(SupervisedSession.trainee))
            .order_by(User.name, SupervisedSession.session_date, SupervisedSession.id)
            .execution_options(populate_existing=True)
        )
    )


def _tell_trainee(trainee: User, sessions: list[SupervisedSession], supervisor: User, status: str) -> bool:
    """E-mail the trainee which of their logs were signed off or returned, where mail is configured.

    The review stands whatever happens here: a failed send is logged, never raised.
    """
    if not sessions or not trainee.active or not mail.configured():
        return False
    signed = status == SessionState.SIGNED_OFF
    what = "signed off" if signed else "returned"
    n = len(sessions)
    subject = (
        f"Your supervised session of {sessions[0].session_date:%d %b %Y} was {what}"
        if n == 1
        else f"{n} of your supervised sessions were {what}"
    )
    lines = [f"Hello {trainee.name},", "", f"{supervisor.name} {what}:"]
    for s in sessions:
        lines.append(f"- {s.session_date:%d %b %Y}, {BODY_REGIONS.get(s.region, s.region)}: {s.muscles}")
        if s.review_comment:
            lines.append(f"  Comment: {s.review_comment}")
    if not signed:
        lines += ["", "Correct the log and submit it again as a new session."]
    link = public_link("trainee.certification_page")
    if link:
        lines += ["", f"Your sessions: {link}"]
    try:
        return mail.send(trainee.email, subject, "\n".join(lines) + "\n")
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("review e-mail to %s not sent: %s", trainee.email, exc)
        return False


# --- What supervisors and trainees are shown ------------------------------------------------


def _pending_of(clinic_id: int):
    return SupervisedSession.status == SessionState.PENDING, User.clinic_id == clinic_id


def pending_for_clinic(clinic_id: int) -> list[SupervisedSession]:
    """The clinic's logs waiting for review, oldest session first, with their trainees (one query)."""
    return list(
        db.session.scalars(
            select(SupervisedSession)
            .join(SupervisedSession.trainee)
            .where(*_pending_of(clinic_id))
            .options(contains_eager(SupervisedSession.trainee))
            .order_by(SupervisedSession.session_date, SupervisedSession.id)
        )
    )


def pending_count(clinic_id: int) -> int:
    """How many of the clinic's logs wait for review (the supervisor's menu shows it on every page)."""
    return db.session.scalar(
        select(func.count())
        .select_from(SupervisedSession)
        .join(SupervisedSession.trainee)
        .where(*_pending_of(clinic_id))
    )


@dataclass(frozen=True)
class ReviewNotice:
    """A review the trainee has not seen yet, as their home page states it."""

    session_date: dt.date
    region: str
    muscles: str
    signed_off: bool
    reviewer: str
    reviewed_at: dt.datetime
    comment: str | None


NOTICE_LIMIT = 10


EVERY_REVIEW = dt.datetime(1970, 1, 1)  # "since" for a trainee who has not logged in before


def _reviewed_after(trainee_id, since) -> tuple:
    """The trainee's logs signed off or returned after ``since``. Called only while the two
    statements below are built (once each): memoized on its arguments it kept every call's bind
    parameters, a leak on every home page that showed news."""
    return (
        SupervisedSession.trainee_id == trainee_id,
        SupervisedSession.status != SessionState.PENDING,
        SupervisedSession.reviewed_at > since,
    )


def reviewed_since_count_column(trainee_id, since):
    """How many of the trainee's logs were reviewed after ``since``, as a scalar subquery: the
    home page reads it with its other figures and lists the reviews only when there are some."""
    return select(func.count()).where(*_reviewed_after(trainee_id, since)).scalar_subquery()


@cache
def _reviews_since():
    """Built once (the trainee home runs it when there is news): plain columns, the reviewer's
    name by an outer join, no ORM objects to build."""
    reviewer = aliased(User)
    return (
        select(
            SupervisedSession.session_date,
            SupervisedSession.region,
            SupervisedSession.muscles,
            SupervisedSession.status,
            reviewer.name.label("reviewer"),
            SupervisedSession.reviewed_at,
            SupervisedSession.review_comment,
        )
        .outerjoin(reviewer, reviewer.id == SupervisedSession.reviewed_by_id)
        .where(*_reviewed_after(bindparam("trainee_id"), bindparam("since", type_=SupervisedSession.reviewed_at.type)))
        .order_by(SupervisedSession.reviewed_at.desc(), SupervisedSession.id.desc())
        .limit(NOTICE_LIMIT)
    )


def reviewed_since(trainee: User, since: dt.datetime | None) -> list[ReviewNotice]:
    """The trainee's logs signed off or returned after ``since`` (their previous login; every review when
    None), newest first, at most ``NOTICE_LIMIT`` (My certification lists them all). One query."""
    rows = db.session.execute(_reviews_since(), {"trainee_id": trainee.id, "since": since or EVERY_REVIEW})
    return [
        ReviewNotice(
            row.session_date,
            BODY_REGIONS.get(row.region, row.region),
            row.muscles,
            row.status == SessionState.SIGNED_OFF,
            row.reviewer or "a supervisor",
            row.reviewed_at,
            row.review_comment,
        )
        for row in rows
    ]
