"""Attempt results as xAPI 1.0.3 statements, for clinics that keep a learning record store.

One "answered" statement per response and one "completed" statement per submitted attempt.
Statement ids are UUIDv5 of our own row ids, so exporting twice gives the same statements and
an LRS can deduplicate. Actors are identified by an opaque account, never by e-mail.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Attempt, AttemptQuestion, AttemptState, QuestionRevision, Response, User

VERSION = "1.0.3"
NAMESPACE = uuid.UUID("6f1c2a52-3b1e-4d0a-9a55-6a0e1f1d2c3b")
ANSWERED = {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}}
COMPLETED = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"


def _timestamp(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{max(0, int(seconds))}S"


def _actor(user: User, base: str) -> dict:
    return {"objectType": "Agent", "name": user.name, "account": {"homePage": base, "name": f"user-{user.id}"}}


def _choice_pattern(keys) -> str:
    return "[,]".join(sorted(keys))


def attempt_statements(attempt: Attempt, base: str) -> list[dict]:
    """The statements for one submitted attempt: each response, then the completion."""
    base = base.rstrip("/")
    bank = attempt.bank
    actor = _actor(attempt.user, base)
    registration = str(uuid.uuid5(NAMESPACE, f"attempt:{attempt.id}"))
    assessment = {
        "objectType": "Activity",
        "id": f"{base}/xapi/banks/{bank.slug}",
        "definition": {"type": ASSESSMENT, "name": {"en-US": bank.title}},
    }
    statements = []
    for aq in attempt.questions:
        rev = aq.revision
        response = aq.response
        chosen = {s.choice_id for s in response.selections} if response else set()
        keys = {c.id: c.key for c in rev.choices}
        definition = {
            "type": INTERACTION,
            "name": {"en-US": f"{bank.title}: {rev.question.external_id}"},
            "description": {"en-US": rev.stem},
            "interactionType": "true-false" if rev.type == "true_false" else "choice",
            "correctResponsesPattern": [_choice_pattern(keys[c.id] for c in rev.choices if c.is_correct)],
        }
        if rev.type != "true_false":
            definition["choices"] = [{"id": c.key, "description": {"en-US": c.text}} for c in rev.choices]
        score = float(response.score or 0.0) if response else 0.0
        statements.append(
            {
                "id": str(uuid.uuid5(NAMESPACE, f"response:{attempt.id}:{aq.position}")),
                "version": VERSION,
                "actor": actor,
                "verb": ANSWERED,
                "object": {
                    "objectType": "Activity",
                    "id": f"{base}/xapi/banks/{bank.slug}/questions/{rev.question.external_id}/revisions/{rev.number}",
                    "definition": definition,
                },
                "result": {
                    "score": {"scaled": score, "raw": score, "min": 0, "max": 1},
                    "success": score == 1.0,
                    "response": _choice_pattern(keys[c] for c in chosen if c in keys),
                },
                "context": {"registration": registration, "contextActivities": {"parent": [assessment]}},
                "timestamp": _timestamp(
                    (response.answered_at if response and response.answered_at else None) or attempt.submitted_at
                ),
            }
        )
    statements.append(
        {
            "id": str(uuid.uuid5(NAMESPACE, f"attempt:{attempt.id}:completed")),
            "version": VERSION,
            "actor": actor,
            "verb": COMPLETED,
            "object": assessment,
            "result": {
                "score": {"scaled": round(attempt.score / 100, 4), "raw": attempt.score, "min": 0, "max": 100},
                "success": bool(attempt.passed),
                "completion": True,
                "duration": _duration((attempt.submitted_at - attempt.started_at).total_seconds()),
            },
            "context": {"registration": registration},
            "timestamp": _timestamp(attempt.submitted_at),
        }
    )
    return statements


def clinic_statements(clinic_id: int, base: str) -> Iterator[dict]:
    """Every submitted attempt of the clinic's trainees, a few attempts' worth of rows at a time."""
    ids = db.session.scalars(
        select(Attempt.id)
        .join(User, User.id == Attempt.user_id)
        .where(User.clinic_id == clinic_id, Attempt.state == AttemptState.SUBMITTED)
        .order_by(Attempt.id)
    ).all()
    for start in range(0, len(ids), 200):
        batch = db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_(ids[start : start + 200]))
            .order_by(Attempt.id)
            .options(
                selectinload(Attempt.user),
                selectinload(Attempt.bank),
                selectinload(Attempt.questions)
                .selectinload(AttemptQuestion.revision)
                .selectinload(QuestionRevision.choices),
                selectinload(Attempt.questions)
                .selectinload(AttemptQuestion.revision)
                .selectinload(QuestionRevision.question),
                selectinload(Attempt.questions)
                .selectinload(AttemptQuestion.response)
                .selectinload(Response.selections),
            )
        ).all()
        for attempt in batch:
            yield from attempt_statements(attempt, base)
        db.session.expunge_all()


def to_json_array(statements: Iterator[dict]) -> Iterator[str]:
    """Stream a JSON array without holding every statement in memory."""
    yield "["
    for n, statement in enumerate(statements):
        yield ("," if n else "") + json.dumps(statement, separators=(",", ":"))
    yield "]\n"


__all__ = ["attempt_statements", "clinic_statements", "to_json_array"]
