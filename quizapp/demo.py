"""`flask demo`: two clinics whose histories look real, built through the real services.

Each trainee has a story (certified, expiring, expired, failed a critical item twice, new, ...)
played in time order through the functions the app's own pages call: attempts are started,
answered question by question and submitted (``services.quiz.attempts``), supervised sessions
logged and signed off or returned (``certification.supervised_sessions``), practice answered
(``learning.practice``) and the certification refreshed as of each moment
(``certification.evaluation``). Those moments are in the past, up to two and a half years
before ``now``. The few rows a service stamps with the clock rather than a ``now`` it is given
(certificates issued, audit events, a revocation, an accommodation) are moved to the moment of
the story they belong to, as they would carry had they happened then.

Deterministic: every choice (the draw's seed, each answer, each session) comes from a
``random.Random`` seeded with ``SEED`` and the person's e-mail, and every moment is a fixed
offset from ``now``; practice's own picks use the module ``random``, which is seeded here and
restored afterwards. So two builds hold the same people, attempts, answers and scores.

Idempotent: a person who exists is kept as they are, and a trainee whose story has begun (any
attempt, session or practice) is not played again. ``remove`` deletes the demo clinics and
everything in them (``flask demo --reset``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, or_, select, update

from .extensions import db
from .models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    AuditEvent,
    Bank,
    Certificate,
    Choice,
    Clinic,
    MemoryCard,
    PracticeItem,
    Programme,
    Question,
    QuestionRevision,
    Role,
    SessionState,
    SupervisedSession,
    User,
    utcnow,
)
from .services.certification import evaluation, programmes, supervised_sessions
from .services.dates import add_months
from .services.learning import practice
from .services.people import accounts, administration, clinic_settings
from .services.people.passwords import hash_password
from .services.quiz import attempts, scoring

SEED = 16
PASSWORD = "needlework-demo"

# The shipped banks the stories name (question_banks/).
SAFETY, INDICATIONS, MECHANISMS, ACUPUNCTURE = "safety", "indications", "mechanisms", "acupuncture-comparison"
BANKS = (SAFETY, INDICATIONS, MECHANISMS, ACUPUNCTURE)

PASS, FAIL, CRITICAL = "pass", "fail", "critical"  # the planned result of an attempt


class DemoError(Exception):
    """The demo cannot be built here (the message says why and what to do)."""


@dataclass(frozen=True)
class DemoClinic:
    key: str
    name: str
    timezone: str
    utc_offset: int  # hours, for placing the story's local working hours (daylight saving aside)
    signatory_name: str
    signatory_title: str
    founded: int  # days before now


CLINICS = (
    DemoClinic("main", "Demo Physiotherapy Clinic", "Europe/London", 0, "Hannah Reyes", "Clinical lead", 1000),
    DemoClinic(
        "harbour", "Demo Harbour Sports Clinic", "Australia/Sydney", 10, "Tane Walker", "Practice principal", 400
    ),
)


# --- Stories: what happens to each trainee, in days before now -------------------------------


class Plan:
    """One trainee's story as steps in time; ``_build`` runs them in time order, whatever order they were planned in."""

    def __init__(self, world: World, person: DemoPerson, user: User, supervisor: User):
        self.world, self.person, self.user, self.supervisor = world, person, user, supervisor
        self.rng = random.Random(f"{SEED}:{person.email}")
        self.offset = world.clinics[person.clinic].utc_offset
        self.steps: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.own: list[dt.datetime] = []  # when the trainee (not a supervisor) did something

    # Moments ------------------------------------------------------------------------------

    def moment(self, days_ago: int, hours: tuple[int, int]) -> dt.datetime:
        """A time ``days_ago`` days before now, at a local hour in ``hours``, in UTC (never in the future)."""
        if days_ago < 1:
            raise ValueError("a story's dated steps are at least a day old")
        day = (self.world.now - dt.timedelta(days=days_ago)).date()
        local = dt.datetime.combine(day, dt.time(self.rng.randrange(*hours), self.rng.randrange(60)))
        return local - dt.timedelta(hours=self.offset)

    def expiring_in(self, days: int) -> int:
        """Days ago of a pass whose validity (the clinic's, in months) ends ``days`` from today."""
        months = self.world.validity_months[self.person.clinic]
        ends = self.world.now.date() + dt.timedelta(days=days)
        return (self.world.now.date() - add_months(ends, -months)).days

    def _add(self, at: dt.datetime, run: Callable[[], object], own: bool = True) -> None:
        self.steps.append((at, len(self.steps), run))
        if own:
            self.own.append(at)

    # Steps --------------------------------------------------------------------------------

    def quiz(self, bank: str, days_ago: int, outcome: str) -> None:
        """An attempt started ``days_ago``, answered so that its result is ``outcome``, and submitted."""
        at = self.moment(days_ago, (9, 17))
        self._add(at, lambda: self.world.take_quiz(self, bank, at, outcome))

    def open_quiz(self, bank: str, minutes_ago: int, answered: int) -> None:
        """An attempt started ``minutes_ago`` minutes before now with ``answered`` answers saved, left open."""
        at = self.world.now - dt.timedelta(minutes=minutes_ago)
        self._add(at, lambda: self.world.open_quiz(self, bank, at, answered))

    def sessions(self, count: int, first: int, last: int, state: str = SessionState.SIGNED_OFF) -> None:
        """``count`` supervised sessions spread from ``first`` to ``last`` days ago; signed off a day
        or three later, returned with a comment, or left pending."""
        for i in range(count):
            days = first - round(i * (first - last) / max(1, count - 1))
            logged = self.moment(days, (16, 19))
            text = _session_text(self.rng)
            logs: list[SupervisedSession] = []  # filled by the log step, read by the review step
            self._add(
                logged, lambda at=logged, text=text, logs=logs: logs.append(self.world.log_session(self, at, text))
            )
            if state == SessionState.PENDING:
                continue
            later = days - self.rng.randint(1, 3)
            if later < 1:
                raise ValueError(f"{self.person.email}: a session {days} days ago is reviewed in the future")
            reviewed = self.moment(later, (8, 10))
            signed = state == SessionState.SIGNED_OFF
            comment = self.rng.choice(_SIGN_OFF_COMMENTS if signed else _RETURN_COMMENTS)
            self._add(
                reviewed,
                lambda at=reviewed, logs=logs, signed=signed, comment=comment: self.world.review_session(
                    self, at, logs[0], signed, comment
                ),
                own=False,
            )

    def practice(self, days_ago: int, count: int, bank: str | None = None, review: bool = False) -> None:
        """An evening's practice: ``count`` questions (or fewer, for a review with less due)."""
        at = self.moment(days_ago, (18, 21))
        self._add(at, lambda: self.world.practise(self, at, count, bank, review))

    def accommodation(self, days_ago: int, multiplier: float, extra: int, reason: str) -> None:
        at = self.moment(days_ago, (9, 12))
        self._add(at, lambda: self.world.accommodate(self, at, multiplier, extra, reason), own=False)

    def revoke(self, days_ago: int, reason: str) -> None:
        at = self.moment(days_ago, (9, 17))
        self._add(at, lambda: self.world.revoke(self, at, reason), own=False)


def _alex(p: Plan) -> None:
    p.quiz(MECHANISMS, 110, FAIL)
    p.quiz(MECHANISMS, 103, PASS)
    p.quiz(ACUPUNCTURE, 95, PASS)
    p.quiz(INDICATIONS, 80, FAIL)
    p.quiz(INDICATIONS, 74, FAIL)
    p.quiz(INDICATIONS, 61, PASS)
    p.quiz(SAFETY, 40, FAIL)
    p.sessions(12, 115, 22)
    p.sessions(1, 30, 30, SessionState.RETURNED)
    p.sessions(2, 4, 2, SessionState.PENDING)
    for days, count, bank in ((100, 6, MECHANISMS), (88, 6, ACUPUNCTURE), (70, 6, INDICATIONS), (45, 6, SAFETY)):
        p.practice(days, count, bank)
    p.practice(30, 6, review=True)
    p.practice(12, 6, SAFETY)
    p.practice(6, 6, review=True)
    p.practice(3, 6, SAFETY)
    p.open_quiz(SAFETY, 8, 6)


def _jordan(p: Plan) -> None:
    p.quiz(MECHANISMS, 262, FAIL)
    p.quiz(MECHANISMS, 250, PASS)
    p.quiz(ACUPUNCTURE, 240, FAIL)
    p.quiz(ACUPUNCTURE, 232, PASS)
    p.quiz(INDICATIONS, 220, PASS)
    p.quiz(SAFETY, 212, FAIL)
    p.quiz(SAFETY, 201, FAIL)
    p.quiz(SAFETY, 190, PASS)
    p.sessions(22, 285, 162)
    p.practice(205, 6, SAFETY)
    p.practice(60, 6, review=True)
    p.practice(20, 6)


def _riley(p: Plan) -> None:
    p.quiz(MECHANISMS, 138, FAIL)
    p.quiz(MECHANISMS, 130, PASS)
    p.quiz(ACUPUNCTURE, 118, PASS)
    p.quiz(INDICATIONS, 110, FAIL)
    p.quiz(INDICATIONS, 100, PASS)
    p.quiz(SAFETY, 45, FAIL)
    p.quiz(SAFETY, 30, CRITICAL)
    p.quiz(SAFETY, 9, CRITICAL)
    p.sessions(18, 140, 15)
    p.sessions(1, 3, 3, SessionState.PENDING)
    p.practice(25, 6, SAFETY)
    p.practice(20, 6, review=True)
    p.practice(5, 6, SAFETY)


def _morgan(p: Plan) -> None:
    first = p.expiring_in(45)
    p.sessions(20, first + 80, first + 12)
    p.quiz(MECHANISMS, first + 20, FAIL)
    p.quiz(MECHANISMS, first, PASS)
    p.quiz(ACUPUNCTURE, first + 14, FAIL)
    p.quiz(ACUPUNCTURE, first - 4, PASS)
    p.quiz(INDICATIONS, first - 6, FAIL)
    p.quiz(INDICATIONS, first - 12, PASS)
    p.quiz(SAFETY, first - 16, PASS)
    p.practice(first + 30, 6, MECHANISMS)
    p.practice(35, 6)


def _taylor(p: Plan) -> None:
    first = p.expiring_in(-70)
    p.sessions(20, first + 70, first + 6)
    p.quiz(MECHANISMS, first + 12, FAIL)
    p.quiz(MECHANISMS, first, PASS)
    p.quiz(ACUPUNCTURE, first - 4, PASS)
    p.quiz(INDICATIONS, first + 8, FAIL)
    p.quiz(INDICATIONS, first - 8, PASS)
    p.quiz(SAFETY, first - 11, FAIL)
    p.quiz(SAFETY, first - 16, PASS)
    p.practice(10, 6, MECHANISMS)
    p.quiz(MECHANISMS, 6, FAIL)


def _casey(p: Plan) -> None:
    first = p.expiring_in(20)
    p.sessions(20, first + 90, first + 8)
    p.quiz(MECHANISMS, first, PASS)
    p.quiz(ACUPUNCTURE, first + 11, FAIL)
    p.quiz(ACUPUNCTURE, first - 2, PASS)
    p.quiz(INDICATIONS, first + 7, FAIL)
    p.quiz(INDICATIONS, first - 4, PASS)
    p.quiz(SAFETY, first - 6, PASS)
    # Recertification in the first certificate's last 60 days. The bank whose pass ends the
    # certificate soonest (mechanisms) is passed again last: each earlier re-pass leaves the
    # certificate's end where it is, so one new certificate follows, not one per bank.
    p.quiz(SAFETY, 40, FAIL)
    p.quiz(SAFETY, 33, PASS)
    p.quiz(INDICATIONS, 27, PASS)
    p.quiz(ACUPUNCTURE, 19, PASS)
    p.quiz(MECHANISMS, 12, PASS)
    p.practice(45, 6, SAFETY)
    p.practice(21, 6, SAFETY)
    p.practice(8, 6, review=True)


def _jamie(p: Plan) -> None:
    p.quiz(MECHANISMS, 62, FAIL)
    p.quiz(MECHANISMS, 55, PASS)
    p.quiz(ACUPUNCTURE, 50, FAIL)
    p.quiz(ACUPUNCTURE, 43, FAIL)
    p.quiz(INDICATIONS, 35, PASS)
    p.sessions(8, 65, 12)
    p.sessions(3, 6, 1, SessionState.PENDING)
    p.practice(46, 6, ACUPUNCTURE)
    p.practice(20, 6, review=True)
    p.practice(10, 6, ACUPUNCTURE)


def _drew(p: Plan) -> None:
    p.quiz(MECHANISMS, 180, PASS)
    p.quiz(ACUPUNCTURE, 165, FAIL)
    p.quiz(INDICATIONS, 150, FAIL)
    p.quiz(INDICATIONS, 120, FAIL)
    p.sessions(5, 190, 60)
    p.sessions(1, 48, 48, SessionState.RETURNED)
    p.practice(125, 6, INDICATIONS)


def _quinn(p: Plan) -> None:
    p.quiz(MECHANISMS, 305, FAIL)
    p.quiz(MECHANISMS, 298, PASS)
    p.quiz(ACUPUNCTURE, 290, PASS)
    p.quiz(INDICATIONS, 284, FAIL)
    p.quiz(INDICATIONS, 279, PASS)
    p.quiz(SAFETY, 275, FAIL)
    p.quiz(SAFETY, 268, PASS)
    p.sessions(20, 380, 262)
    p.practice(150, 6)
    p.revoke(
        14,
        "A needle was left in place after a treatment. Certification to be earned again: "
        "the safety bank and ten supervised sessions.",
    )
    p.sessions(1, 5, 5, SessionState.PENDING)


def _rowan(p: Plan) -> None:
    p.practice(8, 6, MECHANISMS)
    p.open_quiz(MECHANISMS, 5, 4)


def _kai(p: Plan) -> None:
    p.practice(14, 6, MECHANISMS)
    p.quiz(MECHANISMS, 10, FAIL)
    p.practice(9, 6, MECHANISMS)
    p.practice(5, 6, review=True)
    p.quiz(ACUPUNCTURE, 4, FAIL)
    p.sessions(2, 7, 2, SessionState.PENDING)


def _elliot(p: Plan) -> None:
    p.quiz(MECHANISMS, 145, FAIL)
    p.quiz(MECHANISMS, 140, PASS)
    p.quiz(ACUPUNCTURE, 130, PASS)
    p.quiz(INDICATIONS, 120, FAIL)
    p.quiz(INDICATIONS, 112, PASS)
    p.quiz(SAFETY, 98, FAIL)
    p.quiz(SAFETY, 90, PASS)
    p.sessions(15, 150, 10)
    p.sessions(3, 5, 1, SessionState.PENDING)
    p.practice(100, 6, SAFETY)
    p.practice(60, 6, review=True)


def _sasha(p: Plan) -> None:
    p.accommodation(410, 1.5, 1, "Dyslexia: half as much time again on timed quizzes and one extra attempt.")
    p.quiz(MECHANISMS, 385, FAIL)
    p.quiz(MECHANISMS, 376, PASS)
    p.quiz(ACUPUNCTURE, 366, FAIL)
    p.quiz(ACUPUNCTURE, 360, PASS)
    p.quiz(INDICATIONS, 350, PASS)
    p.quiz(SAFETY, 345, FAIL)
    p.quiz(SAFETY, 338, PASS)
    p.sessions(21, 405, 300)
    p.practice(200, 6)
    p.practice(90, 6, review=True)


def _lachlan(p: Plan) -> None:
    p.quiz(MECHANISMS, 170, PASS)
    p.quiz(ACUPUNCTURE, 160, FAIL)
    p.quiz(ACUPUNCTURE, 152, PASS)
    p.quiz(INDICATIONS, 140, PASS)
    p.quiz(SAFETY, 130, FAIL)
    p.quiz(SAFETY, 122, PASS)
    p.sessions(20, 190, 100)
    p.practice(60, 6)


def _tom(p: Plan) -> None:
    p.quiz(MECHANISMS, 70, FAIL)
    p.quiz(MECHANISMS, 62, PASS)
    p.quiz(INDICATIONS, 40, FAIL)
    p.sessions(6, 75, 12)
    p.sessions(2, 4, 2, SessionState.PENDING)
    p.practice(30, 6, INDICATIONS)


def _isla(p: Plan) -> None:
    p.practice(12, 6, MECHANISMS)
    p.quiz(MECHANISMS, 6, FAIL)


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    clinic: str | None  # a DemoClinic key; None for the administrator
    joined: int  # days before now
    shows: str  # what logging in as this person shows (printed, and listed in the README)
    story: Callable[[Plan], None] | None = None
    ability: float = 0.0  # the trainee's knowledge, in logits (item difficulties centre on 0)
    registration: str | None = None


def _mail(local: str) -> str:
    return f"{local}@demo.needlework.test"


PEOPLE = (
    DemoPerson(
        _mail("admin"), "Ada Lovell", Role.ADMIN, None, 1000, "both clinics, people, certification rules, the audit log"
    ),
    DemoPerson(
        _mail("supervisor"),
        "Sam Whitfield",
        Role.SUPERVISOR,
        "main",
        990,
        "the dashboard (every status), sessions waiting for sign-off, question statistics, drill-downs",
    ),
    DemoPerson(
        _mail("trainee1"),
        "Alex Moreno",
        Role.TRAINEE,
        "main",
        120,
        "in progress: a safety attempt open now (Resume), reviews due, a returned session, practice history",
        _alex,
        0.3,
    ),
    DemoPerson(
        _mail("trainee2"),
        "Jordan Lee",
        Role.TRAINEE,
        "main",
        300,
        "certified about six months ago: certificate PDF, scores over time",
        _jordan,
        0.6,
        "PH104233",
    ),
    DemoPerson(
        _mail("trainee3"),
        "Riley Chen",
        Role.TRAINEE,
        "main",
        150,
        "missed a critical safety item twice with 80 % or more: not passed",
        _riley,
        0.7,
    ),
    DemoPerson(
        _mail("morgan"),
        "Morgan Blake",
        Role.TRAINEE,
        "main",
        800,
        "certified, expiring in 45 days",
        _morgan,
        0.5,
        "PH087712",
    ),
    DemoPerson(
        _mail("taylor"),
        "Taylor Nguyen",
        Role.TRAINEE,
        "main",
        900,
        "certification expired about 70 days ago; started again last week",
        _taylor,
        0.4,
        "PH079145",
    ),
    DemoPerson(
        _mail("casey"),
        "Casey Okoro",
        Role.TRAINEE,
        "main",
        850,
        "recertified this month: two certificates",
        _casey,
        0.8,
        "PH081960",
    ),
    DemoPerson(
        _mail("jamie"),
        "Jamie Rossi",
        Role.TRAINEE,
        "main",
        70,
        "in progress: two banks passed, acupuncture failed twice, sessions pending",
        _jamie,
        0.0,
    ),
    DemoPerson(
        _mail("drew"),
        "Drew Patel",
        Role.TRAINEE,
        "main",
        200,
        "in progress but inactive for 48 days, indications failed twice",
        _drew,
        -0.3,
    ),
    DemoPerson(
        _mail("quinn"),
        "Quinn Harper",
        Role.TRAINEE,
        "main",
        400,
        "certificate revoked two weeks ago, with the reason",
        _quinn,
        0.5,
        "PH096318",
    ),
    DemoPerson(_mail("avery"), "Avery Walsh", Role.TRAINEE, "main", 4, "new starter: nothing done yet"),
    DemoPerson(
        _mail("rowan"),
        "Rowan Ellis",
        Role.TRAINEE,
        "main",
        12,
        "new starter: a first attempt open now, some practice",
        _rowan,
        0.1,
    ),
    DemoPerson(
        _mail("kai"),
        "Kai Thompson",
        Role.TRAINEE,
        "main",
        21,
        "new starter: two first attempts failed, practice, reviews due, sessions pending",
        _kai,
        -0.1,
    ),
    DemoPerson(
        _mail("elliot"),
        "Elliot Brooks",
        Role.TRAINEE,
        "main",
        160,
        "every bank passed; 15 of 20 sessions signed off, 3 pending",
        _elliot,
        0.4,
    ),
    DemoPerson(
        _mail("sasha"),
        "Sasha Ivanova",
        Role.TRAINEE,
        "main",
        420,
        "certified, with an accommodation (extra time and one extra attempt)",
        _sasha,
        0.5,
        "PH091027",
    ),
    DemoPerson(
        _mail("supervisor.harbour"),
        "Mia Tanaka",
        Role.SUPERVISOR,
        "harbour",
        395,
        "the second clinic only: the main clinic's people are out of scope",
    ),
    DemoPerson(
        _mail("lachlan"),
        "Lachlan Reid",
        Role.TRAINEE,
        "harbour",
        200,
        "certified (second clinic)",
        _lachlan,
        0.6,
    ),
    DemoPerson(
        _mail("tom"),
        "Tom Walker",
        Role.TRAINEE,
        "harbour",
        80,
        "in progress, sessions pending (second clinic)",
        _tom,
        0.1,
    ),
    DemoPerson(
        _mail("isla"),
        "Isla Murray",
        Role.TRAINEE,
        "harbour",
        14,
        "new starter: one attempt failed, some practice (second clinic)",
        _isla,
        -0.2,
    ),
)


# --- How a simulated trainee answers ---------------------------------------------------------

_LABEL_DIFFICULTY = {"easy": -1.2, "medium": 0.0, "hard": 1.0}


@dataclass(frozen=True)
class ItemBehaviour:
    """How a question behaves for the simulated trainees (a two-parameter logistic model):
    ``discrimination`` (a few questions barely separate, or even reverse, strong and weak trainees,
    as in real banks), ``difficulty`` in logits, and how much each wrong option attracts those who
    miss the question (one lure often draws most of them)."""

    discrimination: float
    difficulty: float
    lure: dict[str, float]


@dataclass(frozen=True)
class Revision:
    """A question revision as the demo answers it (revisions never change, so they are read once)."""

    bank_id: int
    kind: str
    difficulty: str  # the bank file's label
    external_id: str
    choices: list[tuple[int, str, bool]]  # (choice id, key, correct)


@dataclass(frozen=True)
class Shown:
    """A question as put to the trainee: option keys in display order and the key."""

    kind: str
    keys: tuple[str, ...]
    correct: frozenset[str]
    critical: bool
    behaviour: ItemBehaviour
    position: int = 0  # in the attempt
    ids: dict[str, int] = field(default_factory=dict)  # choice id of each key


def behaviour(bank_slug: str, external_id: str, label: str, keys: list[str], correct: set[str]) -> ItemBehaviour:
    """The same for a question in every build and on every database (seeded by its bank and id)."""
    rng = random.Random(f"{SEED}:{bank_slug}:{external_id}")
    weak = rng.random() < 0.06
    discrimination = rng.uniform(-0.4, 0.15) if weak else rng.uniform(0.8, 2.0)
    difficulty = _LABEL_DIFFICULTY.get(label, 0.0) + rng.gauss(0, 0.5)
    return ItemBehaviour(
        discrimination, difficulty, {k: rng.random() ** 2 + 0.05 for k in sorted(keys) if k not in correct}
    )


def respond(rng: random.Random, q: Shown, ability: float, answer_all: bool = False) -> set[str]:
    """The keys a trainee of ``ability`` ticks: the key with the model's probability, else a
    plausible mistake (a lure; for multiple response a partly right set); rarely nothing."""
    b = q.behaviour
    if rng.random() < 1 / (1 + math.exp(-1.7 * b.discrimination * (ability - b.difficulty))):
        return set(q.correct)
    wrong = [k for k in q.keys if k not in q.correct]
    if not wrong:  # every option is right: a miss leaves one out
        return set(sorted(q.correct)[:-1]) or set(q.correct)
    if not answer_all and rng.random() < 0.015:
        return set()
    lure = rng.choices(wrong, weights=[b.lure[k] for k in wrong])[0]
    if q.kind != "multiple":
        return {lure}
    picked = {k for k in sorted(q.correct) if rng.random() < 0.6}
    if not picked or rng.random() < 0.7:
        picked.add(lure)
    return picked


def _miss(rng: random.Random, q: Shown) -> set[str]:
    """A wrong answer (no credit): a lure, or for multiple response every lure."""
    wrong = [k for k in q.keys if k not in q.correct]
    if q.kind == "multiple":
        return set(wrong)
    return {rng.choices(wrong, weights=[q.behaviour.lure[k] for k in wrong])[0]}


def _result(shown: list[Shown], answers: list[set[str]], pass_mark: int, critical_min: int) -> scoring.AttemptResult:
    return scoring.attempt_result(
        (
            scoring.ItemResult(scoring.score_item(q.kind, a, set(q.correct), set(q.keys)), q.critical)
            for q, a in zip(shown, answers, strict=True)
        ),
        pass_mark,
        critical_min,
    )


_OUTCOME_SHIFT = {PASS: 1.0, FAIL: 0.0, CRITICAL: 1.4}
NEAR_MISS = 45  # a failed attempt scores at least this (percent): trainees sit a bank once prepared


def answers_for(
    rng: random.Random, shown: list[Shown], ability: float, outcome: str, pass_mark: int, critical_min: int
) -> list[set[str]]:
    """Answers, drawn from the model, whose result is ``outcome``: a pass, a total below the pass
    mark (from ``NEAR_MISS``), or a total at the mark with a critical item missed. Draws again until one fits."""
    critical = [i for i, q in enumerate(shown) if q.critical]
    if outcome == CRITICAL and not critical:
        raise DemoError("the drawn attempt has no critical item to miss")
    theta = ability + _OUTCOME_SHIFT[outcome]
    for _ in range(2000):
        answers = [respond(rng, q, theta) for q in shown]
        if outcome == CRITICAL:
            miss = rng.choice(critical)
            answers[miss] = _miss(rng, shown[miss])
        result = _result(shown, answers, pass_mark, critical_min)
        if (
            (outcome == PASS and result.passed)
            or (outcome == FAIL and result.score >= NEAR_MISS and not result.score_passes)
            or (outcome == CRITICAL and result.failed_on_critical)
        ):
            return answers
    raise DemoError(f"no answers found for a planned {outcome}")


# --- Building --------------------------------------------------------------------------------


@dataclass
class World:
    """The demo being built: the moment it is built at, the banks, the clinics and supervisors."""

    now: dt.datetime
    banks: dict[str, Bank]
    began: dt.datetime = field(default_factory=utcnow)  # by the clock
    clinics: dict[str, DemoClinic] = field(default_factory=lambda: {c.key: c for c in CLINICS})
    validity_months: dict[str, int] = field(default_factory=dict)
    behaviours: dict[int, ItemBehaviour] = field(default_factory=dict)  # by revision id
    revisions: dict[int, Revision] = field(default_factory=dict)
    external_ids: dict[int, str] = field(default_factory=dict)  # question id -> the bank file's id
    bank_slugs: dict[int, str] = field(default_factory=dict)
    password_hash: str | None = None  # made once, for every account created

    def __post_init__(self):
        self.bank_slugs = {b.id: b.slug for b in self.banks.values()}
        self.external_ids = dict(db.session.execute(select(Question.id, Question.external_id)).all())

    # Settling the clock's stamps ----------------------------------------------------------

    def settle(self, user: User, at: dt.datetime) -> None:
        """Move what the last step stamped with the clock for ``user`` (audit events, certificates
        issued) to the step's moment. Every moment of a story is before the build began, so a stamp
        at or after that is one the clock made during the build."""
        db.session.execute(
            update(AuditEvent)
            .where(
                AuditEvent.at >= self.began,
                or_(AuditEvent.subject_user_id == user.id, AuditEvent.actor_id == user.id),
            )
            .values(at=at)
        )
        db.session.execute(
            update(Certificate)
            .where(Certificate.issued_at >= self.began, Certificate.user_id == user.id)
            .values(issued_at=at)
        )
        db.session.commit()

    # Steps --------------------------------------------------------------------------------

    def _revision(self, revision_id: int) -> Revision:
        """A question revision as plain data (revisions never change), read a bank at a time."""
        if revision_id not in self.revisions:
            bank_id = db.session.scalar(
                select(Question.bank_id)
                .join(QuestionRevision, QuestionRevision.question_id == Question.id)
                .where(QuestionRevision.id == revision_id)
            )
            choices: dict[int, list[tuple[int, str, bool]]] = {}
            for rev_id, choice_id, key, correct in db.session.execute(
                select(Choice.revision_id, Choice.id, Choice.key, Choice.is_correct)
                .join(QuestionRevision, QuestionRevision.id == Choice.revision_id)
                .join(Question, Question.id == QuestionRevision.question_id)
                .where(Question.bank_id == bank_id)
                .order_by(Choice.id)
            ):
                choices.setdefault(rev_id, []).append((choice_id, key, correct))
            for rev_id, kind, label, question_id in db.session.execute(
                select(QuestionRevision.id, QuestionRevision.type, QuestionRevision.difficulty, Question.id)
                .join(Question, Question.id == QuestionRevision.question_id)
                .where(Question.bank_id == bank_id)
            ):
                self.revisions[rev_id] = Revision(bank_id, kind, label, self.external_ids[question_id], choices[rev_id])
        return self.revisions[revision_id]

    def _shown(self, attempt_id: int) -> list[Shown]:
        """The attempt's questions as plain data, in order (two queries, or one once the bank is read)."""
        return [
            self._question(revision_id, choice_order, critical, position)
            for position, revision_id, choice_order, critical in db.session.execute(
                select(
                    AttemptQuestion.position,
                    AttemptQuestion.revision_id,
                    AttemptQuestion.choice_order,
                    AttemptQuestion.critical,
                )
                .where(AttemptQuestion.attempt_id == attempt_id)
                .order_by(AttemptQuestion.position)
            )
        ]

    def _question(self, revision_id: int, choice_order: list[int], critical: bool, position: int) -> Shown:
        rev = self._revision(revision_id)
        key_of = {choice_id: key for choice_id, key, _ in rev.choices}
        keys = [key_of[i] for i in choice_order]
        correct = {key for _, key, right in rev.choices if right}
        if revision_id not in self.behaviours:
            self.behaviours[revision_id] = behaviour(
                self.bank_slugs[rev.bank_id], rev.external_id, rev.difficulty, keys, correct
            )
        return Shown(
            rev.kind,
            tuple(keys),
            frozenset(correct),
            critical,
            self.behaviours[revision_id],
            position,
            {key: choice_id for choice_id, key, _ in rev.choices},
        )

    def _answer(
        self, attempt_id: int, shown: list[Shown], answers: list[set[str]], at: dt.datetime, rng: random.Random
    ) -> dt.datetime:
        """Save the answers one question after another, as a trainee moving on with Save and next."""
        last = max(q.position for q in shown)
        for q, keys in zip(shown, answers, strict=True):
            at += dt.timedelta(seconds=rng.randint(30, 70))
            if keys:
                ids = {q.ids[k] for k in keys}
                attempts.save_answer(attempt_id, q.position, ids, now=at, next_position=min(q.position + 1, last))
        return at

    def take_quiz(self, plan: Plan, slug: str, started: dt.datetime, outcome: str) -> dt.datetime:
        attempt = attempts.start_or_resume(plan.user, self.banks[slug], now=started, seed=plan.rng.randrange(2**31))
        attempt_id, expires_at = attempt.id, attempt.expires_at
        shown = self._shown(attempt_id)
        answers = answers_for(plan.rng, shown, plan.person.ability, outcome, attempt.pass_mark, attempt.critical_min)
        at = self._answer(attempt_id, shown, answers, started, plan.rng)
        submitted = min(at + dt.timedelta(seconds=plan.rng.randint(20, 90)), expires_at)
        attempts.submit(attempt_id, now=submitted)
        done = db.session.get(Attempt, attempt_id)
        if (outcome == PASS) != bool(done.passed):
            raise DemoError(f"{plan.person.email}: {slug} was planned as a {outcome}, scored {done.score}")
        if outcome == PASS:  # certified as of then, though perhaps lapsed by today (the expired stories)
            evaluation.refresh(plan.user, submitted.date())
            self.settle(plan.user, submitted)  # only a pass can issue a certificate
        return submitted

    def open_quiz(self, plan: Plan, slug: str, started: dt.datetime, answered: int) -> dt.datetime:
        attempt = attempts.start_or_resume(plan.user, self.banks[slug], now=started, seed=plan.rng.randrange(2**31))
        shown = self._shown(attempt.id)[:answered]
        answers = [respond(plan.rng, q, plan.person.ability, answer_all=True) for q in shown]
        return self._answer(attempt.id, shown, answers, started, plan.rng)

    def log_session(self, plan: Plan, logged: dt.datetime, text: tuple[str, str, str]) -> SupervisedSession:
        region, muscles, notes = text
        local_day = (logged + dt.timedelta(hours=plan.offset)).date()
        return supervised_sessions.log_session(plan.user, local_day, region, muscles, notes, now=logged)

    def review_session(
        self, plan: Plan, at: dt.datetime, session: SupervisedSession, sign_off: bool, comment: str
    ) -> None:
        supervised_sessions.review(session, plan.supervisor, sign_off, comment, now=at)
        if sign_off:  # a sign-off can issue a certificate
            self.settle(plan.user, at)

    def practise(self, plan: Plan, at: dt.datetime, count: int, slug: str | None, review: bool) -> dt.datetime:
        random.seed(plan.rng.getrandbits(64))  # practice's own picks (restored by ``build``)
        bank = self.banks[slug] if slug else None
        for _ in range(count):
            try:
                item = practice.start_item(plan.user, at, bank=bank, review=review)
            except practice.NothingToPractise:
                break
            q = self._question(item.revision_id, item.choice_order, False, 0)
            keys = q.keys
            chosen = respond(plan.rng, q, plan.person.ability + 0.3, answer_all=True)
            at += dt.timedelta(seconds=plan.rng.randint(25, 80))
            practice.answer(item, [i for i, k in enumerate(keys) if k in chosen], at)
        return at

    def accommodate(self, plan: Plan, at: dt.datetime, multiplier: float, extra: int, reason: str) -> dt.datetime:
        granted = programmes.set_accommodation(plan.user, plan.supervisor, multiplier, extra, reason)
        granted.granted_at = at
        self.settle(plan.user, at)
        return at

    def revoke(self, plan: Plan, at: dt.datetime, reason: str) -> dt.datetime:
        certificate = evaluation.status_of(plan.user, at.date()).certificate
        if certificate is None:
            raise DemoError(f"{plan.person.email} has no certificate to revoke")
        evaluation.revoke(certificate, plan.supervisor, reason)
        certificate.revoked_at = at
        self.settle(plan.user, at)
        return at

    # People -------------------------------------------------------------------------------

    def clinic(self, spec: DemoClinic, admin: User) -> Clinic:
        """The clinic, created (with its time zone and signatory) when it does not exist yet."""
        clinic = accounts.find_clinic(spec.name)
        if clinic is not None:
            return clinic
        clinic = administration.create_clinic(admin, spec.name)
        clinic_settings.update_settings(
            admin,
            clinic,
            timezone=spec.timezone,
            signatory_name=spec.signatory_name,
            signatory_title=spec.signatory_title,
        )
        clinic.created_at = self.now - dt.timedelta(days=spec.founded)
        self.settle(admin, clinic.created_at)
        return clinic

    def person(self, spec: DemoPerson, clinics: dict[str, Clinic]) -> tuple[User, bool]:
        """The account, and whether it was created now."""
        user = accounts.find_user(spec.email)
        if user is not None:
            return user, False
        self.password_hash = self.password_hash or hash_password(PASSWORD)
        user = accounts.create_user(
            spec.email,
            spec.name,
            PASSWORD,
            spec.role,
            clinics[spec.clinic] if spec.clinic else None,
            password_hash=self.password_hash,
        )
        user.created_at = self.now - dt.timedelta(days=spec.joined, hours=2)
        user.registration_number = spec.registration
        self.settle(user, user.created_at)
        return user, True


def _begun(user: User) -> bool:
    """Any attempt, session or practice: the story has been played (or the person has used the demo)."""
    return any(
        db.session.scalar(select(select(model).where(column == user.id).exists()))
        for model, column in (
            (Attempt, Attempt.user_id),
            (SupervisedSession, SupervisedSession.trainee_id),
            (PracticeItem, PracticeItem.user_id),
        )
    )


_REGIONS = {
    "head-neck": (["upper trapezius", "levator scapulae", "suboccipitals", "masseter", "temporalis"], 3),
    "cervicothoracic": (["rhomboids", "lower trapezius", "thoracic multifidus", "serratus posterior superior"], 2),
    "shoulder-upper-limb": (["infraspinatus", "supraspinatus", "teres minor", "deltoid", "extensor carpi radialis"], 3),
    "lumbopelvic": (["lumbar multifidus", "quadratus lumborum", "gluteus medius", "piriformis"], 3),
    "hip-lower-limb": (["gluteus maximus", "tensor fasciae latae", "vastus lateralis", "gastrocnemius", "soleus"], 3),
}
_NOTES = [
    "Clean technique and single-use needles; no adverse events.",
    "Local twitch responses obtained; post-needling soreness explained and advice given.",
    "Consent recorded before treatment; sharps into the bin at the point of use.",
    "Treated lying down and checked before standing; no dizziness.",
    "Mild bruising at one site, pressure applied; nothing else of note.",
]
_LUNG_NOTES = [
    "Pincer grip over the ribs, needle directed away from the lung fields; no adverse events.",
    "Flat palpation over the ribs and a shallow angle; breathing checked after treatment.",
]
_SIGN_OFF_COMMENTS = ["", "", "", "Good depth control.", "Clear notes, safe sharps handling.", "Well positioned."]
_RETURN_COMMENTS = [
    "Add the needle direction and depth for the work over the lung fields, then log it again.",
    "Say how consent was taken and what aftercare advice was given.",
]


def _session_text(rng: random.Random) -> tuple[str, str, str]:
    region = rng.choices(list(_REGIONS), weights=[w for _, w in _REGIONS.values()])[0]
    muscles = rng.sample(_REGIONS[region][0], rng.randint(1, 2))
    notes = rng.choice(_LUNG_NOTES if region == "cervicothoracic" else _NOTES)
    return region, ", ".join(muscles).capitalize(), notes


@dataclass(frozen=True)
class Login:
    person: DemoPerson
    clinic: str | None
    status: str | None  # a trainee's certification status now
    played: bool  # the story was played by this build


def build(now: dt.datetime | None = None) -> list[Login]:
    """Create what is missing of the demo and play the stories not yet begun; every login, in order.

    Raises ``DemoError`` when the shipped banks have not been imported.
    """
    now = now or utcnow()
    if now > utcnow():
        raise ValueError("the demo's moments are in the past: build it at the clock's time or earlier")
    banks = {b.slug: b for b in db.session.scalars(select(Bank))}
    missing = [slug for slug in BANKS if slug not in banks]
    if missing:
        raise DemoError(
            f"the demo needs the shipped question banks ({', '.join(missing)} missing): "
            "run `flask banks import question_banks/` first"
        )
    world = World(now, banks)
    state, mail_server = random.getstate(), current_app.config.get("MAIL_SERVER")
    current_app.config["MAIL_SERVER"] = None  # the demo's people are made up: no review e-mails to them
    try:
        return _build(world)
    finally:
        random.setstate(state)
        current_app.config["MAIL_SERVER"] = mail_server


def _build(world: World) -> list[Login]:
    admin_spec = next(p for p in PEOPLE if p.role == Role.ADMIN)
    admin, _ = world.person(admin_spec, {})
    clinics = {spec.key: world.clinic(spec, admin) for spec in CLINICS}
    for key, clinic in clinics.items():
        world.validity_months[key] = evaluation.programme_for(clinic.id).validity_months
    users = {p.email: world.person(p, clinics)[0] for p in PEOPLE if p.role != Role.ADMIN}
    users[admin_spec.email] = admin
    supervisors = {
        p.clinic: users[p.email] for p in reversed(PEOPLE) if p.role == Role.SUPERVISOR and p.clinic is not None
    }
    played = set()
    for spec in PEOPLE:
        user = users[spec.email]
        if spec.story is None or not user.is_trainee or _begun(user):
            continue
        plan = Plan(world, spec, user, supervisors[spec.clinic])
        spec.story(plan)
        for _, _, step in sorted(plan.steps, key=lambda s: (s[0], s[1])):
            step()
        user.last_login_at = max(plan.own)  # as if each of the trainee's own steps began with a login
        db.session.commit()
        played.add(spec.email)
    names = {c.id: c.name for c in clinics.values()}
    return [
        Login(
            spec,
            names.get(users[spec.email].clinic_id),
            evaluation.status_of(users[spec.email]).status.value if users[spec.email].is_trainee else None,
            spec.email in played,
        )
        for spec in PEOPLE
    ]


def remove() -> int:
    """Delete the demo clinics and everyone in them, and the demo accounts; how many people went."""
    clinic_ids = list(db.session.scalars(select(Clinic.id).where(Clinic.name.in_([c.name for c in CLINICS]))))
    user_ids = list(
        db.session.scalars(
            select(User.id).where(or_(User.clinic_id.in_(clinic_ids), User.email.in_([p.email for p in PEOPLE])))
        )
    )
    for statement in (
        # Sessions before people: a reviewed session must keep its reviewer (a check constraint).
        delete(SupervisedSession).where(
            or_(SupervisedSession.trainee_id.in_(user_ids), SupervisedSession.reviewed_by_id.in_(user_ids))
        ),
        delete(PracticeItem).where(PracticeItem.user_id.in_(user_ids)),
        delete(MemoryCard).where(MemoryCard.user_id.in_(user_ids)),
        delete(Attempt).where(Attempt.user_id.in_(user_ids)),  # drawn questions and answers cascade
        delete(Certificate).where(or_(Certificate.user_id.in_(user_ids), Certificate.clinic_id.in_(clinic_ids))),
        delete(Accommodation).where(Accommodation.user_id.in_(user_ids)),
        delete(AuditEvent).where(
            or_(
                AuditEvent.actor_id.in_(user_ids),
                AuditEvent.subject_user_id.in_(user_ids),
                AuditEvent.clinic_id.in_(clinic_ids),
            )
        ),
        delete(Programme).where(Programme.clinic_id.in_(clinic_ids)),
        delete(User).where(User.id.in_(user_ids)),
        delete(Clinic).where(Clinic.id.in_(clinic_ids)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expunge_all()
    return len(user_ids)


def describe(logins: list[Login]) -> list[str]:
    """The lines `flask demo` prints: every login, its clinic and what it shows."""
    width = max(len(login.person.email) for login in logins)
    lines = [f"Demo logins (password for all: {PASSWORD}):"]
    for login in logins:
        p = login.person
        where = login.clinic or "all clinics"
        status = f" [{login.status}]" if login.status else ""
        lines.append(f"  {p.role:<10} {p.email:<{width}}  {p.name}, {where}{status}: {p.shows}")
    return lines
