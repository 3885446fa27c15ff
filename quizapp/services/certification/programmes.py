"""Changing a clinic's certification rules and a trainee's accommodations, with an audit trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    BODY_REGIONS,
    Accommodation,
    Bank,
    Programme,
    ProgrammeBank,
    ProgrammeCriticalSubtopic,
    RegionMinimum,
    Subtopic,
    User,
)
from ..people import audit_trail
from . import evaluation


class RuleError(Exception):
    pass


def update_programme(
    programme: Programme,
    by: User,
    *,
    require_all_banks: bool,
    bank_marks: dict[int, int | None],
    validity_months: int,
    sessions_required: int,
    region_minimums: dict[str, int],
    critical_subtopic_ids: set[int],
    critical_min: int | None,
) -> None:
    """Replace the programme's rules; every trainee of the clinic is re-evaluated afterwards.

    ``bank_marks`` maps a bank id to its required mark (None: the bank's pass mark); with
    ``require_all_banks`` False exactly those banks are required.
    """
    known_banks = set(db.session.scalars(select(Bank.id)))
    if not set(bank_marks) <= known_banks:
        raise RuleError("Unknown bank.")
    if not require_all_banks and not bank_marks and not sessions_required:
        raise RuleError("A programme must require at least one bank or supervised sessions.")
    if any(r not in BODY_REGIONS for r in region_minimums):
        raise RuleError("Unknown body region.")
    if critical_subtopic_ids - set(db.session.scalars(select(Subtopic.id))):
        raise RuleError("Unknown sub-topic.")
    before = _describe(programme)
    programme.require_all_banks = require_all_banks
    programme.validity_months = validity_months
    programme.sessions_required = sessions_required
    programme.critical_min = critical_min
    programme.banks, programme.regions, programme.critical_subtopics = [], [], []
    db.session.flush()  # old rows go before new ones arrive: the unique constraints see no overlap
    programme.banks = [ProgrammeBank(bank_id=b, min_score=m) for b, m in sorted(bank_marks.items())]
    programme.regions = [RegionMinimum(region=r, minimum=n) for r, n in sorted(region_minimums.items()) if n > 0]
    programme.critical_subtopics = [ProgrammeCriticalSubtopic(subtopic_id=s) for s in sorted(critical_subtopic_ids)]
    db.session.flush()
    audit_trail.record(
        "programme.changed", actor=by, clinic_id=programme.clinic_id, before=before, after=_describe(programme)
    )
    db.session.commit()
    evaluation.refresh_clinic(programme.clinic_id)


def _describe(p: Programme) -> dict:
    return {
        "require_all_banks": p.require_all_banks,
        "banks": {str(b.bank_id): b.min_score for b in p.banks},
        "validity_months": p.validity_months,
        "sessions_required": p.sessions_required,
        "regions": {r.region: r.minimum for r in p.regions},
        "critical_subtopics": sorted(c.subtopic_id for c in p.critical_subtopics),
        "critical_min": p.critical_min,
    }


def set_accommodation(
    trainee: User, by: User, time_multiplier: float, extra_attempts: int, reason: str
) -> Accommodation | None:
    """Give, change or (with 1x and 0 extra) remove a trainee's accommodation; always audited."""
    if not trainee.is_trainee:
        raise RuleError("Accommodations apply to trainees.")
    if not 1 <= time_multiplier <= 4 or not 0 <= extra_attempts <= 20:
        raise RuleError("Time multiplier 1 to 4, extra attempts 0 to 20.")
    if not reason.strip():
        raise RuleError("Record the reason for the accommodation.")
    current = db.session.scalar(select(Accommodation).where(Accommodation.user_id == trainee.id))
    before = (
        None
        if current is None
        else {"time_multiplier": current.time_multiplier, "extra_attempts": current.extra_attempts}
    )
    if time_multiplier == 1 and extra_attempts == 0:
        if current is not None:
            db.session.delete(current)
        current = None
    else:
        if current is None:
            current = Accommodation(user_id=trainee.id)
        current.time_multiplier, current.extra_attempts = time_multiplier, extra_attempts
        current.reason, current.granted_by_id = reason.strip(), by.id
        db.session.add(current)
    audit_trail.record(
        "accommodation.changed",
        actor=by,
        subject=trainee,
        reason=reason.strip(),
        before=before,
        after={"time_multiplier": time_multiplier, "extra_attempts": extra_attempts},
    )
    db.session.commit()
    return current


def rule_choices() -> tuple[list[Bank], list[Subtopic]]:
    """The banks and sub-topics a programme can name, in the order the rules page lists them."""
    banks = list(db.session.scalars(select(Bank).order_by(Bank.title)))
    subtopics = list(
        db.session.scalars(
            select(Subtopic).options(selectinload(Subtopic.bank)).order_by(Subtopic.bank_id, Subtopic.position)
        )
    )
    return banks, subtopics
