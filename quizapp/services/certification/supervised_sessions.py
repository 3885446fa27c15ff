"""Supervised needling sessions: logged by trainees, signed off by a supervisor of their clinic.

A log must not identify a patient. ``identifier_problems`` refuses the obvious identifiers
(dates of birth, record or phone numbers, e-mail addresses, titled names); it cannot catch
everything, so the form also tells the trainee what not to write.
"""

from __future__ import annotations

import datetime as dt
import re

from ...clinic_time import today_for
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
    """Sign off or return a pending log. The caller has scoped ``session`` to the supervisor's clinic.

    ``now`` is the moment of the review (default: the clock); the certification is refreshed as of its date.
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
    session.status = SessionState.SIGNED_OFF if sign_off else SessionState.RETURNED
    session.reviewed_by_id = supervisor.id
    session.reviewed_at = now
    session.review_comment = comment.strip() or None
    audit_trail.record(
        "session.signed_off" if sign_off else "session.returned",
        actor=supervisor,
        subject=session.trainee,
        session_id=session.id,
        comment=comment.strip(),
        at=now,
    )
    db.session.commit()
    if sign_off:
        evaluation.refresh(session.trainee, now.date())
