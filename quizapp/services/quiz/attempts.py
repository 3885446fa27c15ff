"""Start, answer, submit and grade attempts. Each public function owns its transaction.

Races are settled by the database, not by luck: one open attempt per trainee and bank is a
partial unique index; saving locks the attempt row; submitting is a conditional UPDATE that
only one caller can win, so a double submit scores once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import (
    Float,
    Insert,
    Integer,
    all_,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Bank,
    Choice,
    Programme,
    ProgrammeCriticalSubtopic,
    Question,
    QuestionRevision,
    Response,
    ResponseChoice,
    User,
    utcnow,
)
from ...statements import array_rows, constant
from ..analytics import calibration, rasch_scale
from ..certification import evaluation, supervised_sessions
from ..learning import memory_schedule
from . import drawing, scoring


class AttemptError(Exception):
    """A rule stopped the action; the message is written for the trainee."""


class AttemptLimitReached(AttemptError):
    pass


class CooldownActive(AttemptError):
    def __init__(self, until: dt.datetime):
        super().__init__(f"You can try this bank again after {until:%d %b %Y %H:%M} UTC.")
        self.until = until


class AttemptClosed(AttemptError):
    pass


class AttemptNotOpen(Exception):
    """Found submitted, or open past its time, by a fast path that only reads: the caller closes
    it (``submit``) and shows the review."""


class NoQuestions(AttemptError):
    pass


@dataclass(frozen=True)
class Limits:
    """What applies to one trainee on one bank (accommodations extend these)."""

    time_limit_minutes: float
    attempt_limit: int | None
    cooldown_minutes: int


_LOOK_UP = object()


def accommodation_of(user: User) -> Accommodation | None:
    return db.session.scalar(select(Accommodation).where(Accommodation.user_id == user.id))


def limits_for(user: User, bank: Bank, accommodation: Accommodation | None | object = _LOOK_UP) -> Limits:
    """The bank's limits, extended by the trainee's accommodation if they have one.

    Pass ``accommodation`` when it is already loaded (a page listing every bank).
    """
    if accommodation is _LOOK_UP:
        accommodation = accommodation_of(user)
    if accommodation is None:
        return Limits(bank.time_limit_minutes, bank.attempt_limit, bank.cooldown_minutes)
    attempt_limit = None if bank.attempt_limit is None else bank.attempt_limit + accommodation.extra_attempts
    return Limits(bank.time_limit_minutes * accommodation.time_multiplier, attempt_limit, bank.cooldown_minutes)


# "Open" as a constant, so that the partial index of open attempts (uq_attempt_one_open) serves
# the trainee's open-attempt lookups from a prepared plan.
_OPEN = Attempt.state == constant(AttemptState.IN_PROGRESS)


def user_attempt(user: User, attempt_id: int) -> Attempt | None:
    """The attempt if it belongs to ``user``; None otherwise (the view turns that into 404).
    Its bank comes in the same query: the pages that show an attempt name its bank."""
    return db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id).options(joinedload(Attempt.bank))
    )


def open_attempt(user: User, bank: Bank) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user.id, Attempt.bank_id == bank.id, _OPEN))


def attempts_used(user: User, bank: Bank) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.user_id == user.id, Attempt.bank_id == bank.id)
    )


def cooldown_until(user: User, bank: Bank, now: dt.datetime) -> dt.datetime | None:
    """When a failed attempt was submitted less than the cooldown ago, the time it ends."""
    minutes = limits_for(user, bank).cooldown_minutes
    if not minutes:
        return None
    last = db.session.execute(
        select(Attempt.submitted_at, Attempt.passed)
        .where(Attempt.user_id == user.id, Attempt.bank_id == bank.id, Attempt.state == AttemptState.SUBMITTED)
        .order_by(Attempt.submitted_at.desc())
        .limit(1)
    ).first()
    if last is None or last.passed:
        return None
    until = last.submitted_at + dt.timedelta(minutes=minutes)
    return until if until > now else None


def questions_seen(user: User, bank: Bank) -> set[int]:
    """Questions (across revisions) that ``user`` was shown in earlier attempts on ``bank``."""
    return set(
        db.session.scalars(
            select(QuestionRevision.question_id)
            .join(AttemptQuestion, AttemptQuestion.revision_id == QuestionRevision.id)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.user_id == user.id, Attempt.bank_id == bank.id)
            .distinct()
        )
    )


def questions_in_open_attempts(user_id: int) -> set[int]:
    """Questions (across revisions) in the trainee's unsubmitted attempts on any bank.

    Practice and review must not reveal their keys while the attempt is open.
    """
    return set(
        db.session.scalars(
            select(QuestionRevision.question_id)
            .join(AttemptQuestion, AttemptQuestion.revision_id == QuestionRevision.id)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.user_id == user_id, _OPEN)
        )
    )


def candidates(bank: Bank) -> list[drawing.Candidate]:
    """The bank's live questions as the draw sees them, each with the difficulty it balances on."""
    difficulties = calibration.draw_difficulties(bank)
    rows = db.session.execute(
        select(QuestionRevision, Question.position)
        .join(
            Question,
            (Question.id == QuestionRevision.question_id) & (Question.current_number == QuestionRevision.number),
        )
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .options(selectinload(QuestionRevision.choices), selectinload(QuestionRevision.subtopic))
        .order_by(Question.position)
    ).all()
    return [
        drawing.Candidate(
            revision_id=rev.id,
            subtopic=rev.subtopic.slug,
            case=rev.case_slug,
            question_type=rev.type,
            choice_ids=tuple(c.id for c in rev.choices),
            question_id=rev.question_id,
            difficulty=difficulties[rev.id],
        )
        for rev, _ in rows
    ]


def draw_anchor(bank: Bank, pool: list[drawing.Candidate]) -> float | None:
    """The ability at the bank's pass mark, where the draw makes forms equivalent."""
    return rasch_scale.ability_at(bank.pass_mark / 100, [c.difficulty for c in pool]) if pool else None


def start_or_resume(user: User, bank: Bank, now: dt.datetime | None = None, seed: int | None = None) -> Attempt:
    """Return the trainee's open attempt on ``bank``, or draw a new one if the rules allow.

    Raises ``AttemptLimitReached``, ``CooldownActive`` or ``NoQuestions``.
    """
    now = now or utcnow()
    close_expired(user, now)
    existing = open_attempt(user, bank)
    if existing is not None:
        return existing
    limits = limits_for(user, bank)
    if limits.attempt_limit is not None and attempts_used(user, bank) >= limits.attempt_limit:
        raise AttemptLimitReached(f"You have used all {limits.attempt_limit} attempts on this bank.")
    until = cooldown_until(user, bank, now)
    if until is not None:
        raise CooldownActive(until)
    seed = secrets.randbits(31) if seed is None else seed
    pool = candidates(bank)
    drawn = drawing.draw(
        pool, bank.questions_per_attempt, seed, seen=questions_seen(user, bank), anchor=draw_anchor(bank, pool)
    )
    if not drawn:
        raise NoQuestions("This bank has no questions yet.")
    critical_ids, critical_min = _critical_rules(user, bank)
    attempt = Attempt(
        user_id=user.id,
        bank_id=bank.id,
        seed=seed,
        bank_version=bank.version,
        pass_mark=bank.pass_mark,
        critical_min=critical_min,
        started_at=now,
        expires_at=now + dt.timedelta(seconds=round(limits.time_limit_minutes * 60)),
        questions=[
            AttemptQuestion(
                position=i,
                revision_id=d.revision_id,
                choice_order=d.choice_order,
                critical=d.revision_id in critical_ids,
            )
            for i, d in enumerate(drawn)
        ],
    )
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # another request opened one at the same moment: use that one
        db.session.rollback()
        existing = open_attempt(user, bank)
        if existing is None:
            raise
        return existing
    return attempt


def _critical_rules(user: User, bank: Bank) -> tuple[set[int], int]:
    """Revision ids that are must-pass for this trainee, and the minimum on them.

    Critical means critical in the bank file, or in a sub-topic the clinic's programme names.
    Frozen into the attempt at the draw, so later rule changes never rejudge a past attempt.
    """
    programme = db.session.scalar(select(Programme).where(Programme.clinic_id == user.clinic_id))
    extra_subtopics = set()
    critical_min = bank.critical_min
    if programme is not None:
        extra_subtopics = set(
            db.session.scalars(
                select(ProgrammeCriticalSubtopic.subtopic_id).where(
                    ProgrammeCriticalSubtopic.programme_id == programme.id
                )
            )
        )
        critical_min = programme.critical_min or bank.critical_min
    rows = db.session.execute(
        select(QuestionRevision.id, QuestionRevision.critical, QuestionRevision.subtopic_id)
        .join(Question, Question.id == QuestionRevision.question_id)
        .where(Question.bank_id == bank.id, Question.current_number == QuestionRevision.number)
    )
    return {r.id for r in rows if r.critical or r.subtopic_id in extra_subtopics}, critical_min


def close_expired(user: User, now: dt.datetime | None = None) -> None:
    """Submit, with what was saved, every open attempt of ``user`` whose time is up."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Attempt.id).where(Attempt.user_id == user.id, _OPEN, Attempt.expires_at <= now)
    ).all()
    for attempt_id in ids:
        submit(attempt_id, now=now, reason="time_up")


@dataclass(frozen=True)
class AnswerSlot:
    """What a save needs to know about one drawn question: no texts, no key. It never changes
    once drawn, so it may be read before the save takes its lock."""

    attempt_question_id: int
    choice_order: list[int]
    question_type: str
    total: int


_attempt, _item, _revision, _response, _selection = (
    model.__table__ for model in (Attempt, AttemptQuestion, QuestionRevision, Response, ResponseChoice)
)

_counted = _item.alias("counted")

# A save is the busiest write in the app, so its statements are built once, on tables rather
# than mapped classes: no statement building and no ORM layers per request.
_SLOT = (
    select(
        _attempt.c.state,
        _attempt.c.expires_at,
        _item.c.id,
        _item.c.choice_order,
        _revision.c.type,
        select(func.count())
        .select_from(_counted)
        .where(_counted.c.attempt_id == _attempt.c.id)
        .scalar_subquery()
        .label("total"),
    )
    .outerjoin(_item, and_(_item.c.attempt_id == _attempt.c.id, _item.c.position == bindparam("position")))
    .outerjoin(_revision, _revision.c.id == _item.c.revision_id)
    .where(_attempt.c.id == bindparam("attempt_id"), _attempt.c.user_id == bindparam("user_id"))
)
# Checks that the attempt is open and in time, records where the trainee is, and takes the
# attempt's row lock (SQLite: the write lock) until the commit.
_HOLD_OPEN_ATTEMPT = (
    update(_attempt)
    .where(
        _attempt.c.id == bindparam("attempt_id"),
        _attempt.c.state == AttemptState.IN_PROGRESS,
        _attempt.c.expires_at > bindparam("now"),
    )
    .values(current_position=bindparam("current_position"))
)
_CLEAR_RESPONSE = delete(_response).where(_response.c.attempt_question_id == bindparam("item_id"))  # choices cascade


def _hold_and_upsert_response():
    """PostgreSQL: hold the attempt and upsert its response in one statement. The response id
    comes back only when the attempt was held, so no row means it was closed (or out of time).

    ON CONFLICT settles a racing save of the same question on the row's latest version, whatever
    the statement's snapshot; the selections are written by the next statement, whose snapshot is
    taken after this one acquired the lock, so it sees everything a racing save committed."""
    held = _HOLD_OPEN_ATTEMPT.returning(_attempt.c.id).cte("held")
    statement = postgresql.insert(_response).from_select(
        ["attempt_question_id", "attempt_id", "answered_at"],
        select(bindparam("item_id", type_=Integer), held.c.id, bindparam("now", type_=_response.c.answered_at.type)),
    )
    return (
        statement.on_conflict_do_update(
            index_elements=[_response.c.attempt_question_id], set_={"answered_at": statement.excluded.answered_at}
        )
        .returning(_response.c.id)
        .add_cte(held)
    )


def _replace_selections():
    """PostgreSQL: the response's selections become exactly ``choice_ids`` in one statement. The
    rows deleted (not chosen any more) and inserted (newly chosen) never overlap, so the two
    parts need no order between them."""
    chosen = bindparam("choice_ids", type_=postgresql.ARRAY(Integer))
    dropped = delete(_selection).where(
        _selection.c.response_id == bindparam("response_id"), _selection.c.choice_id != all_(chosen)
    )
    return (
        postgresql.insert(_selection)
        .from_select(["response_id", "choice_id"], select(bindparam("response_id", type_=Integer), func.unnest(chosen)))
        .on_conflict_do_nothing()
        .add_cte(dropped.cte("dropped"))
    )


_HOLD_AND_UPSERT_RESPONSE = _hold_and_upsert_response()
_REPLACE_SELECTIONS = _replace_selections()
# SQLite: the same writes as separate statements (it has no writing CTEs; and no round trips).
_UPSERT_RESPONSE = (
    sqlite.insert(_response)
    .values(attempt_question_id=bindparam("item_id"), attempt_id=bindparam("attempt_id"), answered_at=bindparam("now"))
    .on_conflict_do_update(index_elements=[_response.c.attempt_question_id], set_={"answered_at": bindparam("now")})
    .returning(_response.c.id)
)
_CLEAR_SELECTIONS = delete(_selection).where(_selection.c.response_id == bindparam("response_id"))
_ADD_SELECTION = insert(_selection)


def answer_slot(user_id: int, attempt_id: int, position: int, now: dt.datetime) -> AnswerSlot | None:
    """The question at ``position`` of the user's attempt, in one query.

    None when the attempt is not this user's or has no such question; raises ``AttemptNotOpen``
    when it was submitted or its time is up.
    """
    row = db.session.execute(_SLOT, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).first()
    if row is None:
        return None
    if row.state != AttemptState.IN_PROGRESS or now >= row.expires_at:
        raise AttemptNotOpen(attempt_id)
    if row.id is None:
        return None
    return AnswerSlot(row.id, list(row.choice_order), row.type, row.total)


def save_answer(
    attempt_id: int,
    position: int,
    choice_ids: set[int],
    now: dt.datetime | None = None,
    next_position: int | None = None,
    slot: AnswerSlot | None = None,
) -> None:
    """Store the trainee's current answer to the question at ``position`` (empty clears it).

    The attempt remembers where the trainee is for Resume: the question answered, or with
    ``next_position`` the one the trainee moves on to ("Save and next", "Previous"). Viewing
    a question writes nothing, so only saves move the resume point. ``slot`` is the question's
    ``answer_slot`` when the caller has read it already (the view does, to check the form).

    Raises ``AttemptClosed`` when the attempt was submitted or its time is up; in the latter
    case the attempt is submitted here with what had been saved before. Raises ValueError,
    having written nothing, when the answer does not fit the question.
    """
    now = now or utcnow()
    if slot is None:
        user_id = db.session.scalar(select(_attempt.c.user_id).where(_attempt.c.id == attempt_id))
        try:
            slot = answer_slot(user_id, attempt_id, position, now)
        except AttemptNotOpen:
            _refuse_closed(attempt_id, now)
    if slot is None or not choice_ids <= set(slot.choice_order):
        raise ValueError("answer does not belong to this question")
    if slot.question_type != "multiple" and len(choice_ids) > 1:
        raise ValueError("this question takes one answer")
    held = {
        "attempt_id": attempt_id,
        "now": now,
        "current_position": position if next_position is None else next_position,
        "item_id": slot.attempt_question_id,
    }
    # A racing submit waits for this save's lock, or this save finds the attempt closed.
    if choice_ids and db.session.get_bind().dialect.name == "postgresql":
        response_id = db.session.execute(_HOLD_AND_UPSERT_RESPONSE, held).scalar()
        if response_id is None:
            _refuse_closed(attempt_id, now)
        db.session.execute(_REPLACE_SELECTIONS, {"response_id": response_id, "choice_ids": sorted(choice_ids)})
    else:
        if not db.session.execute(_HOLD_OPEN_ATTEMPT, held).rowcount:
            _refuse_closed(attempt_id, now)
        if not choice_ids:
            db.session.execute(_CLEAR_RESPONSE, held)
        else:
            response_id = db.session.execute(_UPSERT_RESPONSE, held).scalar_one()
            db.session.execute(_CLEAR_SELECTIONS, {"response_id": response_id})
            db.session.execute(
                _ADD_SELECTION, [{"response_id": response_id, "choice_id": c} for c in sorted(choice_ids)]
            )
    db.session.commit()


def _refuse_closed(attempt_id: int, now: dt.datetime) -> NoReturn:
    """The save found the attempt closed: say why, and submit it first if its time ran out."""
    state = db.session.scalar(select(_attempt.c.state).where(_attempt.c.id == attempt_id))
    db.session.rollback()
    if state != AttemptState.IN_PROGRESS:
        raise AttemptClosed("This attempt has already been submitted.")
    submit(attempt_id, now=now, reason="time_up")
    raise AttemptClosed("Time is up: the attempt was submitted with the answers saved before the limit.")


_CLAIMED = (
    _attempt.c.user_id,
    _attempt.c.bank_id,
    _attempt.c.pass_mark,
    _attempt.c.critical_min,
    _attempt.c.submitted_at,
)
_RAN_OUT = _attempt.c.expires_at < bindparam("now")


def _claim_statement(owner_only: bool):
    """Submitting is a conditional UPDATE that only one caller can win; it also takes the row lock
    that every save needs, so no answer can change while the attempt is graded. An attempt whose
    time ran out is submitted as of then, with what was saved by then, whoever asks. With
    ``owner_only`` it claims only the attempt of ``owner_id`` (a trainee's own submit, which then
    needs no read of the attempt first)."""
    conditions = [_attempt.c.id == bindparam("attempt_id"), _attempt.c.state == AttemptState.IN_PROGRESS]
    if owner_only:
        conditions.append(_attempt.c.user_id == bindparam("owner_id"))
    return (
        update(_attempt)
        .where(*conditions)
        .values(
            state=AttemptState.SUBMITTED,
            submitted_at=case((_RAN_OUT, _attempt.c.expires_at), else_=bindparam("now")),
            submit_reason=case((_RAN_OUT, "time_up"), else_=bindparam("reason")),
        )
        .returning(*_CLAIMED)
    )


_CLAIM = {owner_only: _claim_statement(owner_only) for owner_only in (False, True)}


def submit(
    attempt_id: int, now: dt.datetime | None = None, reason: str = "trainee", user_id: int | None = None
) -> bool:
    """Close and score the attempt. True when this call did it; False when it was already done
    (or, given ``user_id``, when the attempt is not that user's). Past its time limit the reason
    is "time_up" and the submit is dated at the limit, whatever ``reason`` says.

    One transaction closes the attempt, scores every item and records each as a review in the
    trainee's memory schedule, so an attempt is graded, and its cards reviewed, exactly once or
    not at all. After the commit, and only when this attempt can change the trainee's
    certification (``evaluation.may_certify``), the certification is refreshed, which issues a
    certificate if one is due: both before the trainee's next page. The refresh only derives
    from what is committed, so if it never ran nothing would be lost; the certification page
    refreshes too.
    """
    now = now or utcnow()
    claimed = db.session.execute(
        _CLAIM[user_id is not None], {"attempt_id": attempt_id, "now": now, "reason": reason, "owner_id": user_id}
    ).first()
    if claimed is None:
        db.session.rollback()
        return False
    result, reviews = _grade(attempt_id, claimed.pass_mark, claimed.critical_min)
    memory_schedule.record_reviews(claimed.user_id, reviews, claimed.submitted_at)
    db.session.commit()
    counted = evaluation.Pass(
        claimed.bank_id,
        claimed.submitted_at,
        result.score,
        result.critical_score,
        claimed.critical_min,
        claimed.pass_mark,
    )
    if evaluation.may_certify(claimed.user_id, counted):
        evaluation.refresh(db.session.get(User, claimed.user_id))
    return True


def load_for_review(attempt_id: int) -> Attempt:
    """The attempt with everything a review page or a grader reads, in a fixed number of queries."""
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .options(
            selectinload(Attempt.questions)
            .selectinload(AttemptQuestion.revision)
            .selectinload(QuestionRevision.choices),
            selectinload(Attempt.questions)
            .selectinload(AttemptQuestion.revision)
            .selectinload(QuestionRevision.subtopic),
            selectinload(Attempt.questions).selectinload(AttemptQuestion.response).selectinload(Response.selections),
        )
        .execution_options(populate_existing=True)
    ).one()


_choice = Choice.__table__
# Everything grading reads, in one query: a row per option of each item, with its key, whether
# it is correct and whether it was ticked (an item with no options still gets a row).
_GRADING = (
    select(
        _item.c.id,
        _item.c.critical,
        _revision.c.id.label("revision_id"),
        _revision.c.type,
        _revision.c.question_id,
        _choice.c.key,
        _choice.c.is_correct,
        _selection.c.choice_id.is_not(None).label("ticked"),
    )
    .join(_revision, _revision.c.id == _item.c.revision_id)
    .outerjoin(_choice, _choice.c.revision_id == _revision.c.id)
    .outerjoin(_response, _response.c.attempt_question_id == _item.c.id)
    .outerjoin(_selection, and_(_selection.c.response_id == _response.c.id, _selection.c.choice_id == _choice.c.id))
    .where(_item.c.attempt_id == bindparam("attempt_id"))
    .order_by(_item.c.position, _item.c.id)
)


def _sqlite_score_responses() -> Insert:
    """SQLite: every item's score in one statement (an unanswered item gets its empty response
    here). RETURNING makes SQLAlchemy send the rows as one multi-row INSERT, not one per row."""
    statement = sqlite.insert(_response)
    return statement.on_conflict_do_update(
        index_elements=[_response.c.attempt_question_id],
        set_={"score": statement.excluded.score, "is_correct": statement.excluded.is_correct},
    ).returning(_response.c.id)


def _postgresql_score_attempt() -> Insert:
    """PostgreSQL: the attempt's result and every item's score in one statement of fixed text
    (the scores as two arrays, ``array_rows``). The attempt's row is written by a CTE: the two
    writes touch different tables."""
    scores = array_rows("item_scores", {"item_ids": Integer, "scores": Float})
    scored = _SCORE_ATTEMPT.cte("scored")
    statement = postgresql.insert(_response).from_select(
        ["attempt_question_id", "attempt_id", "score", "is_correct"],
        select(scores.c.item_ids, bindparam("attempt_id", type_=Integer), scores.c.scores, scores.c.scores == 1.0),
    )
    return statement.on_conflict_do_update(
        index_elements=[_response.c.attempt_question_id],
        set_={"score": statement.excluded.score, "is_correct": statement.excluded.is_correct},
    ).add_cte(scored)


_SCORE_ATTEMPT = (
    update(_attempt)
    .where(_attempt.c.id == bindparam("attempt_id"))
    .values(score=bindparam("score"), critical_score=bindparam("critical_score"), passed=bindparam("passed"))
)
_SQLITE_SCORE_RESPONSES = _sqlite_score_responses()
_POSTGRESQL_SCORE_ATTEMPT = _postgresql_score_attempt()


@dataclass
class _Graded:
    critical: bool
    revision_id: int
    question_type: str
    question_id: int
    keys: set[str]
    correct: set[str]
    ticked: set[str]


def _grade(
    attempt_id: int, pass_mark: int, critical_min: int, correct_keys: dict[int, set[str]] | None = None
) -> tuple[scoring.AttemptResult, list[tuple[int, float]]]:
    """Score every item from its stored revision and write the result (no commit): one read and
    two writes, whatever the number of items. Returns the result and (question id, score) per item."""
    correct_keys = correct_keys or {}
    items: dict[int, _Graded] = {}
    for row in db.session.execute(_GRADING, {"attempt_id": attempt_id}):
        item = items.get(row.id)
        if item is None:
            item = items[row.id] = _Graded(
                row.critical, row.revision_id, row.type, row.question_id, set(), set(), set()
            )
        if row.key is not None:
            item.keys.add(row.key)
            if row.is_correct:
                item.correct.add(row.key)
            if row.ticked:
                item.ticked.add(row.key)
    scores = {
        item_id: scoring.score_item(
            item.question_type, item.ticked, correct_keys.get(item.revision_id, item.correct), item.keys
        )
        for item_id, item in items.items()
    }
    result = scoring.attempt_result(
        [scoring.ItemResult(scores[i], item.critical) for i, item in items.items()], pass_mark, critical_min
    )
    _write_scores(attempt_id, result, scores)
    return result, [(item.question_id, scores[i]) for i, item in items.items()]


def _write_scores(attempt_id: int, result: scoring.AttemptResult, scores: dict[int, float]) -> None:
    """The attempt's result and each item's score (keyed by attempt item id), in the caller's
    transaction: one statement on PostgreSQL, two on SQLite."""
    marks = {
        "attempt_id": attempt_id,
        "score": result.score,
        "critical_score": result.critical_score,
        "passed": result.passed,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            _POSTGRESQL_SCORE_ATTEMPT, {**marks, "item_ids": list(scores), "scores": list(scores.values())}
        )
        return
    if scores:
        db.session.execute(
            _SQLITE_SCORE_RESPONSES,
            [
                {
                    "attempt_question_id": i,
                    "attempt_id": attempt_id,
                    "answered_at": None,
                    "score": s,
                    "is_correct": s == 1.0,
                }
                for i, s in scores.items()
            ],
        )
    db.session.execute(_SCORE_ATTEMPT, marks)


def grade(attempt: Attempt, correct_keys: dict[int, set[str]] | None = None) -> scoring.AttemptResult:
    """Score every item from its stored revision and set the attempt's result (no commit).

    ``correct_keys`` overrides the answer key of given revisions (by choice key): a
    correction regrades old revisions against the corrected key. The result is written past the
    ORM, so the attempt is expired: reading it again loads the new result.
    """
    result, _ = _grade(attempt.id, attempt.pass_mark, attempt.critical_min, correct_keys)
    db.session.expire(attempt)
    return result


@dataclass(frozen=True)
class BankProgress:
    bank: Bank
    attempts_used: int
    best_score: float | None
    passed: bool
    open_attempt_id: int | None
    attempts_left: int | None
    critical_missed: bool = False  # an attempt reached the pass mark but missed a critical item
    available_at: dt.datetime | None = None  # a failed attempt's cooldown ends then (UTC)


@dataclass(frozen=True)
class Home:
    """The trainee home: every bank's progress, how many questions are due for review, and how
    many of the trainee's session logs were reviewed since their previous login (None when
    there is no bank to read it with)."""

    progress: list[BankProgress]
    due: int
    reviews_since: int | None


def _home_statement():
    """Every bank with the trainee's figures on it, their accommodation and their review count:
    one query for the whole page (built once, like the question page's)."""
    user_id, now = bindparam("user_id", type_=Integer), bindparam("now", type_=_attempt.c.started_at.type)
    since = bindparam("since", type_=_attempt.c.started_at.type)
    submitted, open_ = _attempt.c.state == AttemptState.SUBMITTED, _attempt.c.state == AttemptState.IN_PROGRESS
    figures = (
        select(
            _attempt.c.bank_id,
            func.count().label("used"),
            func.max(_attempt.c.score).label("best"),
            func.count().filter(_attempt.c.passed.is_(True)).label("passes"),
            func.max(_attempt.c.id).filter(open_).label("open_id"),
            func.min(_attempt.c.expires_at).filter(open_).label("open_expires_at"),
            func.count()
            .filter(_attempt.c.passed.is_(False), _attempt.c.score >= _attempt.c.pass_mark)
            .label("critical_misses"),
            # A failed latest attempt starts the cooldown: the latest submit is not the latest pass.
            func.max(_attempt.c.submitted_at).filter(submitted).label("last_submitted_at"),
            func.max(_attempt.c.submitted_at).filter(submitted, _attempt.c.passed.is_(True)).label("last_passed_at"),
        )
        .where(_attempt.c.user_id == user_id)
        .group_by(_attempt.c.bank_id)
        .subquery()
    )
    return (
        select(
            Bank,
            figures.c.used,
            figures.c.best,
            figures.c.passes,
            figures.c.open_id,
            figures.c.open_expires_at,
            figures.c.critical_misses,
            figures.c.last_submitted_at,
            figures.c.last_passed_at,
            Accommodation.time_multiplier,
            Accommodation.extra_attempts,
            memory_schedule.due_count_column(user_id, now).label("due"),
            supervised_sessions.reviewed_since_count_column(user_id, since).label("reviews_since"),
        )
        .outerjoin(figures, figures.c.bank_id == Bank.id)
        .outerjoin(Accommodation, Accommodation.user_id == user_id)
        .order_by(Bank.title)
    )


_HOME = _home_statement()


def home(user: User, now: dt.datetime | None = None) -> Home:
    """The trainee home, in one query whatever the number of banks: each bank with attempts used,
    best score, pass state, a critical item missed and when a cooldown ends; and the reviews due.

    An attempt whose time is up is submitted first, so the page never offers to resume it (that
    costs a second read, on the visit that finds one)."""
    now = now or utcnow()
    figures = {"user_id": user.id, "now": now, "since": user.previous_login_at or supervised_sessions.EVERY_REVIEW}
    rows = db.session.execute(_HOME, figures).all()
    if any(row.open_expires_at is not None and row.open_expires_at <= now for row in rows):
        close_expired(user, now)
        rows = db.session.execute(_HOME, figures).all()
    accommodation = None
    if rows and rows[0].extra_attempts is not None:
        accommodation = Accommodation(time_multiplier=rows[0].time_multiplier, extra_attempts=rows[0].extra_attempts)
    progress = []
    for row in rows:
        bank, used = row.Bank, row.used or 0
        limits = limits_for(user, bank, accommodation)
        available_at = None
        if (
            row.last_submitted_at is not None
            and row.last_submitted_at != row.last_passed_at
            and limits.cooldown_minutes
        ):
            ends = row.last_submitted_at + dt.timedelta(minutes=limits.cooldown_minutes)
            available_at = ends if ends > now else None
        progress.append(
            BankProgress(
                bank=bank,
                attempts_used=used,
                best_score=row.best,
                passed=bool(row.passes),
                open_attempt_id=row.open_id,
                attempts_left=None if limits.attempt_limit is None else max(0, limits.attempt_limit - used),
                critical_missed=bool(row.critical_misses),
                available_at=available_at,
            )
        )
    return Home(progress, rows[0].due if rows else 0, rows[0].reviews_since if rows else None)
