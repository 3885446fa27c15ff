"""The shape of a question-bank file, as pydantic models.

Structural rules live here (types, required fields, allowed values). Rules that
relate several fields (a correct id must name a choice, ids must be unique) live
in ``bank_files.semantic_errors`` so that every error in a file can be reported
with its own path, not only the first one a validator meets.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
Text = Field(min_length=1)

QUESTION_TYPES = ("single", "multiple", "true_false")
DIFFICULTIES = ("easy", "medium", "hard")


class Strict(BaseModel):
    """Unknown keys are errors: a typo such as ``rationle`` must not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Reference(Strict):
    authors: str = Text
    year: int = Field(ge=1900, le=2100)
    title: str = Text
    source: str = Field(min_length=1, description="journal (volume:pages) or issuing body")
    doi: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", description="shown as a link: web addresses only")


class Choice(Strict):
    id: str = Field(pattern=r"^[a-z0-9]{1,8}$")
    text: str = Text
    feedback: str | None = Field(
        default=None, description="why this option is right or wrong; required on wrong options"
    )


class Subtopic(Strict):
    id: str = Slug
    title: str = Text
    critical: bool = False


class Case(Strict):
    id: str = Slug
    title: str = Text
    text: str = Field(min_length=20)


class Question(Strict):
    id: str = Slug
    type: Literal["single", "multiple", "true_false"]
    subtopic: str = Slug
    difficulty: Literal["easy", "medium", "hard"]
    case: str | None = None
    stem: str = Field(min_length=10)
    choices: list[Choice] | None = None
    correct: list[str] | None = None
    answer: bool | None = Field(default=None, description="true_false questions only")
    rationale: str = Field(min_length=40)
    references: list[Reference] = Field(min_length=1)
    reviewed: dt.date
    as_of: dt.date | None = None
    jurisdiction: str | None = None
    critical: bool = False
    correction: bool = False
    correction_reason: str | None = None


class BankHeader(Strict):
    """Everything in a bank file except its questions."""

    id: str = Slug
    topic: str = Slug
    title: str = Text
    version: int = Field(ge=1)
    pass_mark: int = Field(ge=1, le=100, description="percent")
    questions_per_attempt: int = Field(ge=1)
    time_limit_minutes: int = Field(ge=1, le=600)
    attempt_limit: int | None = Field(default=None, ge=1)
    cooldown_minutes: int = Field(default=0, ge=0)
    critical_min: int = Field(default=100, ge=1, le=100, description="percent on critical items")
    item_writing: Literal["errors", "warnings"] = Field(
        default="warnings", description="how `flask banks check` reports cues in the wording"
    )
    description: str | None = None
    subtopics: list[Subtopic] = Field(min_length=1)
    cases: list[Case] = Field(default_factory=list)


class Bank(BankHeader):
    questions: list[Question] = Field(min_length=1)
