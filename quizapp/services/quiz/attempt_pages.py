"""What the question and review pages show, assembled in a fixed number of queries.

The question page model deliberately carries no answer key: only choice texts in display
order, addressed by position. Keys, feedback and rationale appear only in the review model,
which exists only for submitted attempts.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, exists, select

from ...extensions import db
from ...models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Choice,
    QuestionRevision,
    Response,
    ResponseChoice,
    Subtopic,
)
from ...statements import constant
from .attempts import AttemptNotOpen


@dataclass(frozen=True)
class QuestionPage:
    attempt_id: int
    expires_at: dt.datetime
    position: int
    total: int
    question_type: str
    stem: str
    case_title: str | None
    case_text: str | None
    options: list[str]  # choice texts in this attempt's display order
    selected: set[int]  # selected display positions
    answered: list[bool]  # per position, for the navigator
    seconds_left: int

    @property
    def answered_count(self) -> int:
        return sum(self.answered)


@dataclass(frozen=True)
class ShownRevision:
    """What a question page shows of one revision: texts only, never the key."""

    question_type: str
    stem: str
    case_title: str | None
    case_text: str | None
    choice_texts: dict[int, str]


# Revisions are immutable, so their texts can be kept for the life of the worker process.
# Keyed by id and content hash, so a database rebuilt under a running process (tests) cannot
# serve another revision's text; cleared wholesale past a size no real set of banks reaches.
_shown_revisions: dict[tuple[int, str], ShownRevision] = {}
SHOWN_REVISIONS_MAX = 20_000


def shown_revision(revision_id: int, content_hash: str, choice_ids: set[int]) -> ShownRevision:
    key = (revision_id, content_hash)
    shown = _shown_revisions.get(key)
    if shown is not None and choice_ids <= shown.choice_texts.keys():
        return shown
    rev = db.session.execute(
        select(
            QuestionRevision.type, QuestionRevision.stem, QuestionRevision.case_title, QuestionRevision.case_text
        ).where(QuestionRevision.id == revision_id)
    ).one()
    texts = dict(db.session.execute(select(Choice.id, Choice.text).where(Choice.revision_id == revision_id)).all())
    shown = ShownRevision(rev.type, rev.stem, rev.case_title, rev.case_text, texts)
    if len(_shown_revisions) >= SHOWN_REVISIONS_MAX:
        _shown_revisions.clear()
    _shown_revisions[key] = shown
    return shown


_attempt, _item, _revision, _response, _selection = (
    model.__table__ for model in (Attempt, AttemptQuestion, QuestionRevision, Response, ResponseChoice)
)
_position = bindparam("position")

# The busiest page in the app, so its statement is built once, on tables rather than mapped
# classes: that skips building the statement and the ORM's compile and result layers on every
# request (CPU for this query: 1.3 ms -> 0.3 ms; bench/results.md has the page's throughput).
_PAGE = (
    select(
        _attempt.c.state,
        _attempt.c.expires_at,
        _item.c.position,
        _item.c.revision_id,
        # The option order is needed for the question shown only; not decoding the others is cheaper.
        case((_item.c.position == _position, _item.c.choice_order)).label("choice_order"),
        _revision.c.content_hash,
        _response.c.id.is_not(None).label("answered"),
        _selection.c.choice_id.label("selected"),
    )
    .join(_item, _item.c.attempt_id == _attempt.c.id)
    .join(_revision, _revision.c.id == _item.c.revision_id)
    .outerjoin(_response, _response.c.attempt_question_id == _item.c.id)
    # Selections only for the question shown: one row per other question, one per ticked option here.
    .outerjoin(_selection, and_(_selection.c.response_id == _response.c.id, _item.c.position == _position))
    .where(_attempt.c.id == bindparam("attempt_id"), _attempt.c.user_id == bindparam("user_id"))
    .order_by(_item.c.position)
)


def question_page(user_id: int, attempt_id: int, position: int, now: dt.datetime) -> QuestionPage | None:
    """The page for one question of the user's attempt in one query (the attempt's state, the
    navigator, the item, its saved answer), plus the revision's texts, which come from the process
    cache after a revision's first showing.

    None when the attempt is not this user's or has no such question; raises ``AttemptNotOpen``
    when it was submitted or its time is up (the caller closes it and shows the review).
    """
    rows = db.session.execute(_PAGE, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).all()
    if not rows:
        return None
    state, expires_at = rows[0].state, rows[0].expires_at
    if state != AttemptState.IN_PROGRESS or now >= expires_at:
        raise AttemptNotOpen(attempt_id)
    answered: dict[int, bool] = {}
    chosen: set[int] = set()
    item = None
    for row in rows:
        answered[row.position] = bool(row.answered)
        if row.position == position:
            item = row
            if row.selected is not None:
                chosen.add(row.selected)
    if item is None:
        return None
    order = list(item.choice_order)
    shown = shown_revision(item.revision_id, item.content_hash, set(order))
    return QuestionPage(
        attempt_id=attempt_id,
        expires_at=expires_at,
        position=position,
        total=len(answered),
        question_type=shown.question_type,
        stem=shown.stem,
        case_title=shown.case_title,
        case_text=shown.case_text,
        options=[shown.choice_texts[cid] for cid in order],
        selected={i for i, cid in enumerate(order) if cid in chosen},
        answered=[answered[p] for p in sorted(answered)],
        seconds_left=max(0, int((expires_at - now).total_seconds())),
    )


@dataclass(frozen=True)
class ReviewedOption:
    text: str
    chosen: bool
    correct: bool
    feedback: str | None


@dataclass(frozen=True)
class ReviewedItem:
    number: int
    question_type: str
    subtopic: str
    critical: bool
    case_title: str | None
    case_text: str | None
    stem: str
    options: list[ReviewedOption]
    score: float
    answered: bool
    rationale: str
    references: list[dict]
    correction_reason: str | None
    held: bool = False  # in the trainee's open attempt: the key, feedback and rationale are withheld


@dataclass(frozen=True)
class SubtopicScore:
    title: str
    critical: bool
    score: float  # percent
    items: int


@dataclass(frozen=True)
class Review:
    attempt: Attempt
    items: list[ReviewedItem]
    subtopics: list[SubtopicScore]

    @property
    def failed_on_critical(self) -> bool:
        a = self.attempt
        return bool(
            not a.passed
            and a.score is not None
            and a.score >= a.pass_mark
            and a.critical_score is not None
            and a.critical_score < a.critical_min
        )


@dataclass(frozen=True)
class ReviewedRevision:
    """What a review shows of one revision, key included: immutable, so kept like ``ShownRevision``."""

    question_type: str
    stem: str
    case_title: str | None
    case_text: str | None
    rationale: str
    references: list[dict]
    correction_reason: str | None
    choices: dict[int, tuple[str, bool, str | None]]  # choice id -> (text, correct, feedback)


_reviewed_revisions: dict[tuple[int, str], ReviewedRevision] = {}
REVIEWED_REVISIONS_MAX = 5_000


def reviewed_revisions(wanted: dict[int, str]) -> dict[int, ReviewedRevision]:
    """The revisions ``{id: content hash}`` as a review shows them: from the process cache, and
    two queries for any not there yet."""
    found = {rid: _reviewed_revisions.get((rid, digest)) for rid, digest in wanted.items()}
    missing = [rid for rid, rev in found.items() if rev is None]
    if missing:
        choices: dict[int, dict[int, tuple[str, bool, str | None]]] = {rid: {} for rid in missing}
        for c in db.session.execute(
            select(Choice.revision_id, Choice.id, Choice.text, Choice.is_correct, Choice.feedback).where(
                Choice.revision_id.in_(missing)
            )
        ):
            choices[c.revision_id][c.id] = (c.text, c.is_correct, c.feedback)
        if len(_reviewed_revisions) + len(missing) > REVIEWED_REVISIONS_MAX:
            _reviewed_revisions.clear()
        for rev in db.session.execute(
            select(
                QuestionRevision.id,
                QuestionRevision.content_hash,
                QuestionRevision.type,
                QuestionRevision.stem,
                QuestionRevision.case_title,
                QuestionRevision.case_text,
                QuestionRevision.rationale,
                QuestionRevision.references,
                QuestionRevision.correction_reason,
            ).where(QuestionRevision.id.in_(missing))
        ):
            found[rev.id] = _reviewed_revisions[(rev.id, rev.content_hash)] = ReviewedRevision(
                rev.type,
                rev.stem,
                rev.case_title,
                rev.case_text,
                rev.rationale,
                rev.references,
                rev.correction_reason,
                choices[rev.id],
            )
    return found


_subtopic = Subtopic.__table__
_open_item, _open_revision, _open_attempt = (
    _item.alias("open_item"),
    _revision.alias("open_revision"),
    _attempt.alias("open_attempt"),
)
# Whether the item's question (any revision) is in an open attempt of the holder: then its key
# stays hidden. "Open" is a constant, so the partial index of open attempts serves it.
_IN_HOLDERS_OPEN_ATTEMPT = (
    exists()
    .where(
        _open_attempt.c.user_id == bindparam("holder_id"),
        _open_attempt.c.state == constant(AttemptState.IN_PROGRESS),
        _open_item.c.attempt_id == _open_attempt.c.id,
        _open_revision.c.id == _open_item.c.revision_id,
        _open_revision.c.question_id == _revision.c.question_id,
    )
    .label("held")
)
# One row per item, and one more per further option ticked; the revisions' texts come from the cache.
_REVIEW = (
    select(
        _item.c.position,
        _item.c.revision_id,
        _item.c.choice_order,
        _item.c.critical,
        _revision.c.content_hash,
        _revision.c.question_id,
        _subtopic.c.title.label("subtopic"),
        _response.c.score,
        _selection.c.choice_id.label("selected"),
        _IN_HOLDERS_OPEN_ATTEMPT,
    )
    .join(_revision, _revision.c.id == _item.c.revision_id)
    .join(_subtopic, _subtopic.c.id == _revision.c.subtopic_id)
    .outerjoin(_response, _response.c.attempt_question_id == _item.c.id)
    .outerjoin(_selection, _selection.c.response_id == _response.c.id)
    .where(_item.c.attempt_id == bindparam("attempt_id"))
    .order_by(_item.c.position)
)


def review(attempt_id: int, holder_id: int | None = None) -> Review:
    """The attempt question by question; a question that is also in an open attempt of
    ``holder_id`` (the trainee looking) shows no key.

    One query for the items, the answers and what is held, and the revisions' texts from the
    process cache.
    """
    attempt = db.session.get(Attempt, attempt_id)
    rows: OrderedDict[int, tuple] = OrderedDict()
    for row in db.session.execute(_REVIEW, {"attempt_id": attempt_id, "holder_id": holder_id}):
        _, chosen = rows.setdefault(row.position, (row, set()))
        if row.selected is not None:
            chosen.add(row.selected)
    revisions = reviewed_revisions({row.revision_id: row.content_hash for row, _ in rows.values()})
    items = []
    by_subtopic: OrderedDict[str, list] = OrderedDict()
    for row, chosen in rows.values():
        rev = revisions[row.revision_id]
        score = row.score if row.score is not None else 0.0
        held = bool(row.held)
        items.append(
            ReviewedItem(
                number=row.position + 1,
                question_type=rev.question_type,
                subtopic=row.subtopic,
                critical=row.critical,
                case_title=rev.case_title,
                case_text=rev.case_text,
                stem=rev.stem,
                options=[
                    ReviewedOption(
                        rev.choices[cid][0],
                        cid in chosen,
                        rev.choices[cid][1] and not held,
                        None if held else rev.choices[cid][2],
                    )
                    for cid in row.choice_order
                ],
                score=score,
                answered=bool(chosen),
                rationale="" if held else rev.rationale,
                references=[] if held else rev.references,
                correction_reason=rev.correction_reason,
                held=held,
            )
        )
        by_subtopic.setdefault(row.subtopic, [row.critical, []])[1].append(score)
        by_subtopic[row.subtopic][0] |= row.critical
    subtopics = [
        SubtopicScore(title, critical, round(100 * sum(scores) / len(scores), 1), len(scores))
        for title, (critical, scores) in by_subtopic.items()
    ]
    return Review(attempt, items, subtopics)
