"""CSV exports for supervisors. Every cell is neutralised against spreadsheet formula injection.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as
a formula by Excel, LibreOffice or Sheets; such cells are prefixed with a single quote
(OWASP's advice), so "=HYPERLINK(...)" in a trainee's name stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    BODY_REGIONS,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    Choice,
    Question,
    QuestionRevision,
    Response,
    ResponseChoice,
    SessionState,
    Subtopic,
    SupervisedSession,
    User,
)
from .dashboard import Column, Row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield CSV text chunk by chunk, so large exports stream instead of filling memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _when(value) -> str:
    return value.isoformat(sep=" ") if value else ""


def progress_rows(columns: list[Column], rows: list[Row]) -> tuple[list[str], Iterator[list[object]]]:
    """One line per trainee: status, each requirement, and the sessions signed off as numbers,
    overall and per body region (every region, whether or not the programme sets a minimum)."""
    header = ["name", "email", "status", "certified_on", "expires_on", "last_activity"]
    for c in columns:
        header += [f"{c.key}_met", f"{c.key}_best"] if c.kind == "bank" else [f"{c.key}_met"]
    header += ["sessions_signed_off"] + [f"sessions_signed_off_{region}" for region in BODY_REGIONS]
    signed = _signed_off_by_region([r.user.id for r in rows])

    def body():
        for r in rows:
            out = [
                r.user.name,
                r.user.email,
                r.status.status.value,
                r.status.earned_at.date().isoformat() if r.status.earned_at else "",
                r.status.expires_on.isoformat() if r.status.expires_on else "",
                _when(r.last_activity),
            ]
            for c, cell in zip(columns, r.cells, strict=True):
                met = "yes" if cell.requirement and cell.requirement.met else "no"
                out += [met, "" if cell.best is None else f"{cell.best:.1f}"] if c.kind == "bank" else [met]
            theirs = signed.get(r.user.id, {})
            out += [sum(theirs.values())] + [theirs.get(region, 0) for region in BODY_REGIONS]
            yield out

    return header, body()


def _signed_off_by_region(user_ids: list[int]) -> dict[int, dict[str, int]]:
    """Signed-off sessions per trainee and region, in one grouped query."""
    out: dict[int, dict[str, int]] = {}
    if not user_ids:
        return out
    for trainee_id, region, n in db.session.execute(
        select(SupervisedSession.trainee_id, SupervisedSession.region, func.count())
        .where(SupervisedSession.trainee_id.in_(user_ids), SupervisedSession.status == SessionState.SIGNED_OFF)
        .group_by(SupervisedSession.trainee_id, SupervisedSession.region)
    ):
        out.setdefault(trainee_id, {})[region] = n
    return out


def attempt_rows(clinic_id: int | None) -> tuple[list[str], Iterator[list[object]]]:
    header = [
        "attempt_id",
        "name",
        "email",
        "bank",
        "bank_version",
        "started_at",
        "submitted_at",
        "submit_reason",
        "score",
        "critical_score",
        "passed",
    ]
    query = (
        select(
            Attempt.id,
            User.name,
            User.email,
            Bank.slug,
            Attempt.bank_version,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.submit_reason,
            Attempt.score,
            Attempt.critical_score,
            Attempt.passed,
        )
        .join(User, User.id == Attempt.user_id)
        .join(Bank, Bank.id == Attempt.bank_id)
        .where(Attempt.state == AttemptState.SUBMITTED)
        .order_by(Attempt.id)
    )
    if clinic_id is not None:
        query = query.where(User.clinic_id == clinic_id)

    def body():
        for r in db.session.execute(query.execution_options(yield_per=2000)):
            yield [
                r.id,
                r.name,
                r.email,
                r.slug,
                r.bank_version,
                _when(r.started_at),
                _when(r.submitted_at),
                r.submit_reason,
                r.score,
                r.critical_score,
                "yes" if r.passed else "no",
            ]

    return header, body()


RESPONSE_HEADER = [
    "attempt_id",
    "name",
    "email",
    "bank",
    "position",
    "question_id",
    "revision",
    "subtopic",
    "type",
    "critical",
    "selected",
    "correct",
    "score",
]


def _responses_query(clinic_id: int | None):
    """Every response of every submitted attempt in scope, with the keys the trainee ticked, in attempt order."""
    selected_keys = (
        select(func.aggregate_strings(Choice.key, ","))
        .select_from(ResponseChoice)
        .join(Choice, Choice.id == ResponseChoice.choice_id)
        .where(ResponseChoice.response_id == Response.id)
        .correlate(Response)
        .scalar_subquery()
    )
    query = (
        select(
            Attempt.id,
            User.name,
            User.email,
            Bank.slug,
            AttemptQuestion.position,
            Question.external_id,
            QuestionRevision.number,
            Subtopic.slug.label("subtopic"),
            QuestionRevision.type,
            AttemptQuestion.critical,
            selected_keys.label("selected"),
            Response.score,
            QuestionRevision.id.label("revision_id"),
        )
        .join(AttemptQuestion, AttemptQuestion.id == Response.attempt_question_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Bank, Bank.id == Attempt.bank_id)
        .join(QuestionRevision, QuestionRevision.id == AttemptQuestion.revision_id)
        .join(Question, Question.id == QuestionRevision.question_id)
        .join(Subtopic, Subtopic.id == QuestionRevision.subtopic_id)
        .where(Attempt.state == AttemptState.SUBMITTED)
        .order_by(Attempt.id, AttemptQuestion.position)
    )
    return query if clinic_id is None else query.where(User.clinic_id == clinic_id)


def _answer_keys() -> dict[int, str]:
    """Each revision's correct choice keys, sorted and comma-joined (one grouped query)."""
    return {
        revision_id: ",".join(sorted(joined.split(",")))
        for revision_id, joined in db.session.execute(
            select(Choice.revision_id, func.aggregate_strings(Choice.key, ","))
            .where(Choice.is_correct)
            .group_by(Choice.revision_id)
        )
    }


def response_rows(clinic_id: int | None) -> tuple[list[str], Iterator[list[object]]]:
    """One row per answered item, streamed: the export that item analysis elsewhere can start from."""
    query = _responses_query(clinic_id)

    def body():
        keys = _answer_keys()
        for r in db.session.execute(query.execution_options(yield_per=5000)):
            selected = ",".join(sorted(r.selected.split(","))) if r.selected else ""
            yield [
                r.id,
                r.name,
                r.email,
                r.slug,
                r.position + 1,
                r.external_id,
                r.number,
                r.subtopic,
                r.type,
                "yes" if r.critical else "no",
                selected,
                keys.get(r.revision_id, ""),
                r.score,
            ]

    return RESPONSE_HEADER, body()
