"""Audit events as sentences an administrator can read: names, not ids; actions, not event codes.

The trail stores ids and codes (they stay meaningful after a rename); this module turns one event
into "Sam Supervisor signed off a supervised session of Alex Trainee." with the names of clinics,
banks and sub-topics looked up once per page (``Names.load``), never per row.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Bank, Clinic, Subtopic
from ...models.certification import BODY_REGIONS

RULE_LABELS = {
    "require_all_banks": "every bank required",
    "validity_months": "validity (months)",
    "sessions_required": "supervised sessions required",
    "critical_min": "critical-item minimum (%)",
}


@dataclasses.dataclass(frozen=True)
class Names:
    clinics: dict[int, str]
    banks: dict[int, str]
    subtopics: dict[int, str]

    @classmethod
    def load(cls) -> Names:
        """Three small queries per page of events."""
        return cls(
            clinics=dict(db.session.execute(select(Clinic.id, Clinic.name)).all()),
            banks=dict(db.session.execute(select(Bank.id, Bank.title)).all()),
            subtopics=dict(db.session.execute(select(Subtopic.id, Subtopic.title)).all()),
        )

    def clinic(self, clinic_id: Any) -> str:
        return "no clinic" if clinic_id is None else self.clinics.get(int(clinic_id), f"clinic #{clinic_id}")


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value):.0f}%"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _rules(before: dict, after: dict, names: Names) -> str:
    """What changed between two programme descriptions, in words."""
    parts = []
    for key, label in RULE_LABELS.items():
        if before.get(key) != after.get(key):
            old, new = before.get(key), after.get(key)
            if key == "require_all_banks":
                old, new = _yes(old), _yes(new)
            parts.append(f"{label} {old if old is not None else '—'} → {new if new is not None else '—'}")
    old_banks, new_banks = before.get("banks") or {}, after.get("banks") or {}
    for bank_id in sorted(set(old_banks) | set(new_banks)):
        title = names.banks.get(int(bank_id), f"bank #{bank_id}")
        if bank_id not in old_banks:
            mark = new_banks[bank_id]
            parts.append(f"{title} required" + (f" at {mark}%" if mark else " at its own pass mark"))
        elif bank_id not in new_banks:
            parts.append(f"{title} no longer required")
        elif old_banks[bank_id] != new_banks[bank_id]:
            parts.append(f"{title} mark {_percent(old_banks[bank_id])} → {_percent(new_banks[bank_id])}")
    old_regions, new_regions = before.get("regions") or {}, after.get("regions") or {}
    for region in sorted(set(old_regions) | set(new_regions)):
        if old_regions.get(region) != new_regions.get(region):
            name = BODY_REGIONS.get(region, region)
            parts.append(f"sessions in {name} {old_regions.get(region, 0)} → {new_regions.get(region, 0)}")
    old_crit, new_crit = set(before.get("critical_subtopics") or []), set(after.get("critical_subtopics") or [])
    for sub in sorted(new_crit - old_crit):
        parts.append(f"{names.subtopics.get(sub, f'sub-topic #{sub}')} made must-pass")
    for sub in sorted(old_crit - new_crit):
        parts.append(f"{names.subtopics.get(sub, f'sub-topic #{sub}')} no longer must-pass")
    return "; ".join(parts) or "no change"


def sentence(kind: str, actor: str | None, subject: str | None, details: dict, names: Names) -> str:
    """One event in words. Unknown kinds fall back to their code and details, so nothing is hidden."""
    who = actor or "Needlework"
    whom = subject or "someone"
    d = details or {}
    if kind == "login.success":
        return f"{whom} logged in."
    if kind == "login.failure":
        why = " (the account is deactivated)" if d.get("reason") == "inactive" else ""
        return f"Failed login for {d.get('email', whom)}{why}."
    if kind == "user.created":
        return f"{who} created an account for {whom} as {d.get('role', 'a user')}."
    if kind == "user.role_changed":
        return f"{who} changed {whom}'s role from {d.get('old')} to {d.get('new')}."
    if kind == "user.clinic_changed":
        return f"{who} moved {whom} from {names.clinic(d.get('old'))} to {names.clinic(d.get('new'))}."
    if kind in ("user.activated", "user.deactivated"):
        return f"{who} {kind.split('.')[1]} {whom}'s account."
    if kind == "password.changed":
        return f"{whom} changed their password."
    if kind == "password.reset_by_admin":
        return f"{who} reset {whom}'s password and issued a temporary one."
    if kind == "password.reset_requested":
        return f"A password-reset link was e-mailed to {whom}."
    if kind == "password.reset_completed":
        return f"{whom} chose a new password from a reset link."
    if kind == "clinic.created":
        return f"{who} created the clinic {d.get('name')}."
    if kind == "clinic.settings_changed":
        return f"{who} changed the clinic's settings: {'; '.join(d.get('changes') or []) or 'no change'}."
    if kind == "user.registration_changed":
        if d.get("new"):
            return f"{who} set {whom}'s registration number to {d['new']}."
        return f"{who} removed {whom}'s registration number."
    if kind == "programme.changed":
        return f"{who} changed the certification rules: {_rules(d.get('before') or {}, d.get('after') or {}, names)}."
    if kind == "accommodation.changed":
        after = d.get("after") or {}
        return (
            f"{who} set {whom}'s accommodation to {after.get('time_multiplier')}× time and "
            f"{after.get('extra_attempts')} extra attempts ({d.get('reason', 'no reason given')})."
        )
    if kind == "certificate.issued":
        return f"A certificate was issued to {whom}, valid until {d.get('expires_on')}."
    if kind == "certificate.revoked":
        return f"{who} revoked {whom}'s certificate: “{d.get('reason', '')}”."
    if kind == "session.signed_off":
        return f"{who} signed off a supervised session of {whom}."
    if kind == "session.returned":
        comment = f": “{d['comment']}”" if d.get("comment") else ""
        return f"{who} returned a supervised session to {whom}{comment}."
    if kind == "attempt.regraded":
        before, after = d.get("before") or {}, d.get("after") or {}
        return (
            f"{whom}'s attempt on {d.get('bank')} was regraded after a question correction: "
            f"{_percent(before.get('score'))} → {_percent(after.get('score'))}, "
            f"{'passed' if after.get('passed') else 'not passed'}."
        )
    shown = "; ".join(f"{k}: {v}" for k, v in sorted(d.items()))
    return f"{kind}" + (f" ({shown})" if shown else "") + "."


def kind_label(kind: str) -> str:
    """The filter's name for an event code: "login.failure" → "Login: failure"."""
    group, _, action = kind.partition(".")
    return f"{group.capitalize()}: {action.replace('_', ' ')}" if action else group.capitalize()
