"""Test data built through the same services the app uses (real files, real imports)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Bank, Clinic, User
from quizapp.services.banks import bank_import
from quizapp.services.people.passwords import hash_password

DATA = Path(__file__).parent / "data"
PASSWORD = "correct-horse-battery"
_HASH = hash_password(PASSWORD)  # hashed once: argon2 is deliberately slow


def clinic(name: str = "North Clinic") -> Clinic:
    found = db.session.scalar(select(Clinic).where(Clinic.name == name))
    if found:
        return found
    c = Clinic(name=name)
    db.session.add(c)
    db.session.commit()
    return c


def user(
    email: str,
    role: str = "trainee",
    clinic_name: str | None = "North Clinic",
    name: str | None = None,
    active: bool = True,
) -> User:
    u = User(
        email=email,
        name=name or email.split("@")[0].title(),
        password_hash=_HASH,
        role=role,
        clinic=clinic(clinic_name) if clinic_name else None,
        active=active,
    )
    db.session.add(u)
    db.session.commit()
    return u


def import_bank_dir(directory: Path) -> list[bank_import.ImportReport]:
    return bank_import.import_banks(directory)


def tiny_bank(tmp_path: Path, text: str | None = None) -> Bank:
    """Copy the tiny bank (or ``text``) into a folder of its own and import it."""
    folder = tmp_path / "banks"
    folder.mkdir(exist_ok=True)
    target = folder / "tiny.yaml"
    if text is None:
        shutil.copy(DATA / "tiny_bank.yaml", target)
    else:
        target.write_text(text)
    import_bank_dir(folder)
    return db.session.scalar(select(Bank).where(Bank.slug == "tiny"))


def quiz_only_programme(clinic_id: int, actor: User, **changes) -> None:
    """The clinic's programme reduced to "pass every bank": no supervised sessions, 24-month validity."""
    from quizapp.services.certification import evaluation, programmes

    rules = {
        "require_all_banks": True,
        "bank_marks": {},
        "validity_months": 24,
        "sessions_required": 0,
        "region_minimums": {},
        "critical_subtopic_ids": set(),
        "critical_min": None,
    }
    programmes.update_programme(evaluation.programme_for(clinic_id), actor, **{**rules, **changes})
