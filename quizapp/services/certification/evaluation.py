"""A trainee's certification status: computed from the clinic's rules and the records, here only.

``evaluate`` is the one place the status is decided. It is a pure function of a programme's
rules and one trainee's records, so that the trainee page, the supervisor dashboard (which
evaluates a whole clinic from a handful of queries) and certificate issuing can never disagree.

Rules, as clinics run them:
- each required bank needs a qualifying pass (total at the mark AND critical items at their
  minimum) submitted within the validity window; a pass is valid until the same date
  ``validity_months`` later (exclusive);
- the supervised-practice minimum counts signed-off sessions, with per-region minimums;
- a revoked certificate stays revoked until every bank is passed again after the revocation;
- certified trainees whose certification ends within 60 days are "expiring"; trainees whose
  certificates have all reached their expiry date without recertification are "expired";
  a trainee who falls short before then (stricter rules, a regrade) is "in progress" again.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    BODY_REGIONS,
    Attempt,
    AttemptState,
    Bank,
    Certificate,
    Programme,
    ProgrammeBank,
    SessionState,
    SupervisedSession,
    User,
    utcnow,
)
from ...statements import constant
from ..dates import add_months
from ..people import audit_trail

EXPIRING_DAYS = 60


class Status(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    CERTIFIED = "certified"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Pass:
    """A submitted attempt, reduced to what the rules read."""

    bank_id: int
    at: dt.datetime
    score: float
    critical_score: float | None
    critical_min: int
    pass_mark: int


@dataclass(frozen=True)
class SessionTally:
    """Signed-off sessions, counted by the database: totals, and when each minimum was reached."""

    logged: int = 0  # any status: logging a session counts as activity
    signed: int = 0
    by_region: dict[str, int] = field(default_factory=dict)
    required_reached_at: dt.datetime | None = None  # sign-off time of the Nth session
    region_reached_at: dict[str, dt.datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class BankRule:
    bank_id: int
    slug: str
    title: str
    mark: int


@dataclass(frozen=True)
class Rules:
    banks: tuple[BankRule, ...]
    validity_months: int
    sessions_required: int
    region_minimums: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Requirement:
    kind: str  # "bank", "sessions" or "region"
    key: str  # bank slug, "sessions", or region id
    label: str
    met: bool
    detail: str
    met_at: dt.datetime | None = None
    valid_until: dt.date | None = None
    critical_missed: bool = False  # the best try reached the mark but missed a must-pass item


@dataclass(frozen=True)
class CertificationStatus:
    status: Status
    requirements: list[Requirement]
    earned_at: dt.datetime | None = None
    expires_on: dt.date | None = None
    certificate: Certificate | None = None
    revoked: Certificate | None = None
    history: list[Certificate] = field(default_factory=list)

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]

    @property
    def is_certified(self) -> bool:
        return self.status in (Status.CERTIFIED, Status.EXPIRING)


def count_of(n: int, noun: str) -> str:
    """ "1 supervised session", "2 supervised sessions" (every noun here takes an -s)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def qualifies(p: Pass, mark: int) -> bool:
    critical_ok = p.critical_score is None or p.critical_score >= p.critical_min
    return critical_ok and p.score >= mark


def evaluate(
    rules: Rules,
    passes: Sequence[Pass],
    sessions: SessionTally,
    certificates: Sequence[Certificate],
    any_activity: bool,
    today: dt.date,
) -> CertificationStatus:
    """Decide the status from rules and records. Pure: no queries, no clock."""
    # Passes before the most recent revocation never count again, whatever was issued since.
    revoked_after = max((c.revoked_at for c in certificates if c.revoked_at), default=None)
    by_bank: dict[int, list[Pass]] = defaultdict(list)
    for p in passes:
        by_bank[p.bank_id].append(p)
    requirements = [
        _bank_requirement(rule, by_bank.get(rule.bank_id, []), revoked_after, rules.validity_months, today)
        for rule in rules.banks
    ] + _session_requirements(rules, sessions)
    return _standing(requirements, certificates, any_activity, rules.validity_months, today)


def _bank_requirement(
    rule: BankRule, taken: list[Pass], revoked_after: dt.datetime | None, validity_months: int, today: dt.date
) -> Requirement:
    """Met by a qualifying pass that is still valid; a lapsed pass and the best try so far explain why not."""
    label = f"Pass {rule.title} (at least {rule.mark}%)"
    qualifying = sorted((p for p in taken if qualifies(p, rule.mark)), key=lambda p: p.at)
    if revoked_after is not None:
        qualifying = [p for p in qualifying if p.at > revoked_after]
    valid = [p for p in qualifying if today < add_months(p.at.date(), validity_months)]
    if valid:
        return Requirement(
            "bank",
            rule.slug,
            label,
            True,
            f"Passed with {valid[-1].score:.0f}% on {valid[-1].at:%d %b %Y}",
            met_at=valid[0].at,
            valid_until=add_months(valid[-1].at.date(), validity_months),
        )
    if qualifying:
        lapsed = add_months(qualifying[-1].at.date(), validity_months)
        return Requirement("bank", rule.slug, label, False, f"Last pass expired on {lapsed:%d %b %Y}: pass it again")
    if revoked_after is not None and any(qualifies(p, rule.mark) for p in taken):
        detail = f"Passes before the certificate was revoked on {revoked_after:%d %b %Y} no longer count: pass it again"
        return Requirement("bank", rule.slug, label, False, detail)
    best = max(taken, key=lambda p: (p.score, p.at), default=None)
    if best is None:
        return Requirement("bank", rule.slug, label, False, "Not attempted yet")
    if best.score >= rule.mark:  # the total was enough: a must-pass item was missed
        detail = f"Best so far {best.score:.0f}% — not passed: critical item missed"
        return Requirement("bank", rule.slug, label, False, detail, critical_missed=True)
    return Requirement("bank", rule.slug, label, False, f"Best so far {best.score:.0f}%, not yet a pass")


def _session_requirements(rules: Rules, sessions: SessionTally) -> list[Requirement]:
    """The supervised-session total and each body region's minimum, with when each was reached."""
    requirements = []
    if rules.sessions_required:
        done = sessions.signed
        met = done >= rules.sessions_required
        requirements.append(
            Requirement(
                "sessions",
                "sessions",
                f"{count_of(rules.sessions_required, 'supervised session')} signed off",
                met,
                f"{min(done, rules.sessions_required)} of {rules.sessions_required} signed off",
                met_at=sessions.required_reached_at if met else None,
            )
        )
    for region, minimum in rules.region_minimums:
        done = sessions.by_region.get(region, 0)
        met = done >= minimum
        requirements.append(
            Requirement(
                "region",
                region,
                f"At least {count_of(minimum, 'session')} in {BODY_REGIONS.get(region, region)}",
                met,
                f"{min(done, minimum)} of {minimum} signed off",
                met_at=sessions.region_reached_at.get(region) if met else None,
            )
        )
    return requirements


def _standing(
    requirements: list[Requirement],
    certificates: Sequence[Certificate],
    any_activity: bool,
    validity_months: int,
    today: dt.date,
) -> CertificationStatus:
    """Certified (or expiring) when every requirement is met; else revoked, expired, in progress or not started."""
    history = sorted(certificates, key=lambda c: c.issued_at)
    latest = history[-1] if history else None
    if requirements and all(r.met for r in requirements):
        earned_at = max(r.met_at for r in requirements if r.met_at)
        validity = [r.valid_until for r in requirements if r.valid_until]
        expires_on = min(validity) if validity else add_months(earned_at.date(), validity_months)
        current = max(
            (c for c in history if c.revoked_at is None and c.expires_on > today),
            key=lambda c: c.expires_on,
            default=None,
        )
        status = Status.EXPIRING if (expires_on - today).days <= EXPIRING_DAYS else Status.CERTIFIED
        return CertificationStatus(status, requirements, earned_at, expires_on, current, None, history)
    if latest is not None and latest.revoked_at is not None:
        return CertificationStatus(Status.REVOKED, requirements, revoked=latest, history=history)
    standing = [c for c in history if c.revoked_at is None]
    if standing and all(c.expires_on <= today for c in standing):
        return CertificationStatus(Status.EXPIRED, requirements, history=history)
    status = Status.IN_PROGRESS if any_activity or standing else Status.NOT_STARTED
    return CertificationStatus(status, requirements, history=history)


# --- Reading the records -------------------------------------------------------------


def programme_for(clinic_id: int) -> Programme:
    """The clinic's programme, created with the defaults the first time it is needed."""
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.clinic_id == clinic_id)
        .options(
            selectinload(Programme.banks), selectinload(Programme.regions), selectinload(Programme.critical_subtopics)
        )
    )
    if programme is None:
        programme = Programme(clinic_id=clinic_id)
        db.session.add(programme)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            programme = db.session.scalar(select(Programme).where(Programme.clinic_id == clinic_id))
    return programme


def rules_of(programme: Programme) -> Rules:
    banks = db.session.scalars(select(Bank).order_by(Bank.title)).all()
    overrides = {pb.bank_id: pb.min_score for pb in programme.banks}
    chosen = [b for b in banks if programme.require_all_banks or b.id in overrides]
    return Rules(
        banks=tuple(BankRule(b.id, b.slug, b.title, overrides.get(b.id) or b.pass_mark) for b in chosen),
        validity_months=programme.validity_months,
        sessions_required=programme.sessions_required,
        region_minimums=tuple(sorted((r.region, r.minimum) for r in programme.regions)),
    )


def _passes(in_scope) -> tuple[dict[int, list[Pass]], set[int]]:
    """Each trainee's submitted attempts, and who has an attempt open (that is activity too)."""
    rows = db.session.execute(
        select(
            Attempt.user_id,
            Attempt.bank_id,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.critical_score,
            Attempt.critical_min,
            Attempt.pass_mark,
            Attempt.state,
        ).where(in_scope(Attempt.user_id))
    )
    out: dict[int, list[Pass]] = defaultdict(list)
    started: set[int] = set()
    for user_id, bank_id, at, score, critical_score, critical_min, pass_mark, state in rows:
        started.add(user_id)
        if state == AttemptState.SUBMITTED:
            out[user_id].append(Pass(bank_id, at, score or 0.0, critical_score, critical_min, pass_mark))
    return out, started


# Sessions count in sign-off order (then session date, then id). The status is a constant, so
# that the partial index of sign-offs serves these reads from a prepared plan.
_SIGN_OFF_ORDER = (SupervisedSession.reviewed_at, SupervisedSession.session_date, SupervisedSession.id)
_SIGNED_OFF = SupervisedSession.status == constant(SessionState.SIGNED_OFF)


def _nth_sign_off(n: int, region: str | None = None):
    """When the trainee's nth signed-off session (in ``region``, if given) was signed off, or
    NULL: a scalar subquery per trainee, one short walk of ix_supervised_session_sign_off_order."""
    query = select(SupervisedSession.reviewed_at).where(SupervisedSession.trainee_id == User.id, _SIGNED_OFF)
    if region is not None:
        query = query.where(SupervisedSession.region == region)
    return query.order_by(*_SIGN_OFF_ORDER).offset(n - 1).limit(1).scalar_subquery()


def _session_tallies(in_scope, rules: Rules) -> dict[int, SessionTally]:
    """Counts per trainee and region, and the sign-off time at which each minimum was reached.

    The Nth session in sign-off order is the one whose sign-off met the requirement. Two
    queries: the counts, grouped, and per trainee the Nth sign-off overall and in each region
    with a minimum (a window over every session of the clinic took five times as long).
    """
    counts: dict[int, dict] = defaultdict(lambda: {"logged": 0, "signed": 0, "by_region": Counter()})
    for trainee_id, region, status, n in db.session.execute(
        select(SupervisedSession.trainee_id, SupervisedSession.region, SupervisedSession.status, func.count())
        .where(in_scope(SupervisedSession.trainee_id))
        .group_by(SupervisedSession.trainee_id, SupervisedSession.region, SupervisedSession.status)
    ):
        counts[trainee_id]["logged"] += n
        if status == SessionState.SIGNED_OFF:
            counts[trainee_id]["signed"] += n
            counts[trainee_id]["by_region"][region] += n

    reached: dict[int, dt.datetime] = {}
    region_reached: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    regions = [(region, minimum) for region, minimum in rules.region_minimums if minimum >= 1]
    columns = [_nth_sign_off(rules.sessions_required)] if rules.sessions_required else []
    columns += [_nth_sign_off(minimum, region) for region, minimum in regions]
    if columns:
        for trainee_id, *moments in db.session.execute(select(User.id, *columns).where(in_scope(User.id))):
            if rules.sessions_required:
                overall, *moments = moments
                if overall is not None:
                    reached[trainee_id] = overall
            for (region, _), moment in zip(regions, moments, strict=True):
                if moment is not None:
                    region_reached[trainee_id][region] = moment
    return {
        uid: SessionTally(c["logged"], c["signed"], dict(c["by_region"]), reached.get(uid), region_reached.get(uid, {}))
        for uid, c in counts.items()
    }


def _certificates(in_scope) -> dict[int, list[Certificate]]:
    out: dict[int, list[Certificate]] = defaultdict(list)
    for c in db.session.scalars(select(Certificate).where(in_scope(Certificate.user_id))):
        out[c.user_id].append(c)
    return out


def _evaluate_scope(
    clinic_id: int, user_ids: Sequence[int], in_scope, today: dt.date, rules: Rules | None = None
) -> dict[int, CertificationStatus]:
    rules = rules or rules_of(programme_for(clinic_id))
    (passes, started), tallies, certs = _passes(in_scope), _session_tallies(in_scope, rules), _certificates(in_scope)
    empty = SessionTally()
    return {
        uid: evaluate(
            rules,
            passes.get(uid, ()),
            tallies.get(uid, empty),
            certs.get(uid, ()),
            uid in started or bool(tallies.get(uid, empty).logged),
            today,
        )
        for uid in user_ids
    }


def statuses(
    clinic_id: int, user_ids: Sequence[int], today: dt.date | None = None, rules: Rules | None = None
) -> dict[int, CertificationStatus]:
    """Status of every listed trainee of one clinic, in a fixed number of queries (``rules``: the
    clinic's, when the caller has read them already)."""
    trainees_of_clinic = select(User.id).where(User.clinic_id == clinic_id, User.role == "trainee")
    return _evaluate_scope(
        clinic_id, user_ids, lambda column: column.in_(trainees_of_clinic), today or utcnow().date(), rules
    )


def status_of(user: User, today: dt.date | None = None) -> CertificationStatus:
    return _evaluate_scope(user.clinic_id, [user.id], lambda column: column == user.id, today or utcnow().date())[
        user.id
    ]


# --- Certificates ----------------------------------------------------------------------


def new_code() -> str:
    """192 bits from the OS's CSPRNG, URL-safe: unguessable, and short enough for a QR code."""
    return secrets.token_urlsafe(24)


def _needs_certificate(result: CertificationStatus, today: dt.date) -> bool:
    """None valid today, or recertification: the current one ends within 60 days and this runs longer."""
    current = result.certificate
    if current is None:
        return True
    return current.expires_on < result.expires_on and (current.expires_on - today).days <= EXPIRING_DAYS


def refresh(user: User, today: dt.date | None = None) -> CertificationStatus:
    """Issue a certificate when the trainee has become (or been re-)certified; once per term."""
    if not user.is_trainee or user.clinic_id is None:
        return CertificationStatus(Status.NOT_STARTED, [])
    today = today or utcnow().date()
    result = status_of(user, today)
    if not result.is_certified or not _needs_certificate(result, today):
        return result
    certificate = Certificate(
        user_id=user.id,
        clinic_id=user.clinic_id,
        code=new_code(),
        earned_at=result.earned_at,
        expires_on=result.expires_on,
        requirements=[{"label": r.label, "detail": r.detail} for r in result.requirements],
    )
    db.session.add(certificate)
    try:
        db.session.flush()
    except IntegrityError:  # issued by a concurrent request for the same achievement
        db.session.rollback()
        return status_of(user, today)
    audit_trail.record(
        "certificate.issued", subject=user, certificate_id=certificate.id, expires_on=str(result.expires_on)
    )
    db.session.commit()
    return status_of(user, today)


def _bank_rule_statement():
    """A bank's rule for one trainee's clinic: the bank's mark, and the programme's say on it."""
    bank, programme, listed, user = Bank.__table__, Programme.__table__, ProgrammeBank.__table__, User.__table__
    clinic_id = select(user.c.clinic_id).where(user.c.id == bindparam("user_id")).scalar_subquery()
    return (
        select(bank.c.pass_mark, programme.c.require_all_banks, listed.c.id.label("listed"), listed.c.min_score)
        .select_from(bank)
        .outerjoin(programme, programme.c.clinic_id == clinic_id)
        .outerjoin(listed, (listed.c.programme_id == programme.c.id) & (listed.c.bank_id == bank.c.id))
        .where(bank.c.id == bindparam("bank_id"))
    )


_BANK_RULE = _bank_rule_statement()


def may_certify(user_id: int, attempt: Pass) -> bool:
    """Whether a newly submitted attempt can change the trainee's certification, so that
    ``refresh`` is worth its queries: only a pass that qualifies at the clinic's mark for a bank
    the programme requires can (the programme may set that mark above or below the bank's own).
    One query; a clinic without a programme yet has the defaults (every bank, at its mark)."""
    rule = db.session.execute(_BANK_RULE, {"user_id": user_id, "bank_id": attempt.bank_id}).first()
    if rule is None:
        return False
    required = rule.require_all_banks is not False or rule.listed is not None
    return required and qualifies(attempt, rule.min_score or rule.pass_mark)


def refresh_clinic(clinic_id: int, today: dt.date | None = None) -> None:
    """Re-evaluate every trainee of a clinic (after its rules change)."""
    for user in db.session.scalars(select(User).where(User.clinic_id == clinic_id, User.role == "trainee")).all():
        refresh(user, today)


class CertificateError(Exception):
    pass


def revoke(certificate: Certificate, by: User, reason: str) -> None:
    if certificate.revoked_at is not None:
        raise CertificateError("This certificate is already revoked.")
    if not reason.strip():
        raise CertificateError("Give a reason for revoking.")
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = by.id
    certificate.revoke_reason = reason.strip()
    audit_trail.record(
        "certificate.revoked", actor=by, subject=certificate.user, certificate_id=certificate.id, reason=reason.strip()
    )
    db.session.commit()


class Validity(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def validity(certificate: Certificate, today: dt.date | None = None) -> Validity:
    today = today or utcnow().date()
    if certificate.revoked_at is not None:
        return Validity.REVOKED
    return Validity.VALID if today < certificate.expires_on else Validity.EXPIRED


def by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))
