"""What the question and review pages show, assembled in a fixed number of queries.

The question page model deliberately carries no answer key: only choice texts in display
order, addressed by position. Keys, feedback and rationale appear only in the review model,
which exists only for submitted attempts.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Attempt, AttemptQuestion, QuestionRevision, Response
from .attempts import load_for_review


@dataclass(frozen=True)
class QuestionPage:
    attempt: Attempt
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


def question_page(attempt: Attempt, position: int, now: dt.datetime) -> QuestionPage | None:
    """The page for one question in two queries: the item with its texts and answer, then the navigator."""
    item = db.session.scalar(
        select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)
        .options(
            joinedload(AttemptQuestion.revision).joinedload(QuestionRevision.choices),
            joinedload(AttemptQuestion.response).joinedload(Response.selections),
        )
    )
    if item is None:
        return None
    navigator = db.session.execute(
        select(AttemptQuestion.position, Response.id.is_not(None))
        .outerjoin(Response, Response.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id == attempt.id)
        .order_by(AttemptQuestion.position)
    ).all()
    texts = {c.id: c.text for c in item.revision.choices}
    chosen = item.response.choice_ids if item.response else set()
    rev = item.revision
    return QuestionPage(
        attempt=attempt,
        position=position,
        total=len(navigator),
        question_type=rev.type,
        stem=rev.stem,
        case_title=rev.case_title,
        case_text=rev.case_text,
        options=[texts[cid] for cid in item.choice_order],
        selected={i for i, cid in enumerate(item.choice_order) if cid in chosen},
        answered=[bool(answered) for _, answered in navigator],
        seconds_left=max(0, int((attempt.expires_at - now).total_seconds())),
    )


@dataclass(frozen=True)
class AnswerSlot:
    """What a save needs to know about one question: no texts, no key."""

    choice_order: list[int]
    question_type: str
    total: int


def answer_slot(attempt: Attempt, position: int) -> AnswerSlot | None:
    total = (
        select(func.count())
        .select_from(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt.id)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(AttemptQuestion.choice_order, QuestionRevision.type, total)
        .join(QuestionRevision, QuestionRevision.id == AttemptQuestion.revision_id)
        .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)
    ).one_or_none()
    return AnswerSlot(list(row[0]), row[1], row[2]) if row else None


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


def review(attempt_id: int) -> Review:
    attempt = load_for_review(attempt_id)
    items = []
    by_subtopic: OrderedDict[str, list] = OrderedDict()
    for aq in attempt.questions:
        rev = aq.revision
        chosen = aq.response.choice_ids if aq.response else set()
        choices = {c.id: c for c in rev.choices}
        score = aq.response.score if aq.response and aq.response.score is not None else 0.0
        items.append(
            ReviewedItem(
                number=aq.position + 1,
                question_type=rev.type,
                subtopic=rev.subtopic.title,
                critical=aq.critical,
                case_title=rev.case_title,
                case_text=rev.case_text,
                stem=rev.stem,
                options=[
                    ReviewedOption(choices[cid].text, cid in chosen, choices[cid].is_correct, choices[cid].feedback)
                    for cid in aq.choice_order
                ],
                score=score,
                answered=bool(chosen),
                rationale=rev.rationale,
                references=rev.references,
                correction_reason=rev.correction_reason,
            )
        )
        by_subtopic.setdefault(rev.subtopic.title, [aq.critical, []])[1].append(score)
        by_subtopic[rev.subtopic.title][0] |= aq.critical
    subtopics = [
        SubtopicScore(title, critical, round(100 * sum(scores) / len(scores), 1), len(scores))
        for title, (critical, scores) in by_subtopic.items()
    ]
    return Review(attempt, items, subtopics)
