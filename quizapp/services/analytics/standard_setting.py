"""Standard setting by the modified Angoff method, and adopting its pass mark for a clinic.

Each rater judges, for every question, the chance (percent) that a *just-competent*
physiotherapist answers it right. A clinic's panel is its supervisors and the admins (ratings
keep the rater's clinic at the time; admins have none). Ratings are per question revision: a
corrected question must be rated again.

Aggregation over the bank's live questions (every random form draws from them, balanced for
difficulty, so a form's expected cut is the bank's):
- an item's rating is the mean over the raters who rated it; the bank's cut score is the mean of
  the item ratings;
- each rater's own cut is the mean of their ratings; the spread between raters is the SD of
  those cuts, and the cut's standard error that SD over the square root of the raters;
- the items where raters disagree most are those with the largest SD of ratings.
The recommendation (the cut score rounded to a whole percent) needs every live question rated
by at least ``MIN_RATERS`` raters.

An admin adopts a recommendation as the clinic's mark for the bank: the programme changes
through ``programmes.update_programme`` (every trainee is re-evaluated), and an adoption row
keeps a copy of the ratings it rested on, with a ``pass_mark.adopted`` audit event, all in one
transaction.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import AngoffRating, Bank, Clinic, PassMarkAdoption, Question, QuestionRevision, User
from ..certification import evaluation, programmes
from ..people import audit_trail

MIN_RATERS = 2
DISAGREEMENTS = 5  # items listed where raters disagree most


class StandardSettingError(Exception):
    pass


@dataclass(frozen=True)
class LiveItem:
    revision_id: int
    external_id: str
    stem: str
    subtopic: str


@dataclass(frozen=True)
class ItemRatings:
    item: LiveItem
    ratings: list[int]

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.ratings) if self.ratings else None

    @property
    def sd(self) -> float | None:
        return statistics.stdev(self.ratings) if len(self.ratings) > 1 else None


@dataclass(frozen=True)
class RaterCut:
    rater_id: int
    name: str
    rated: int
    cut: float


@dataclass(frozen=True)
class Aggregate:
    bank: Bank
    items: list[ItemRatings]
    raters: list[RaterCut]
    cut_score: float | None  # percent
    rater_sd: float | None
    cut_se: float | None

    @property
    def fully_rated(self) -> int:
        return sum(len(i.ratings) >= MIN_RATERS for i in self.items)

    @property
    def recommended(self) -> int | None:
        """The cut rounded half up, once every live question has ``MIN_RATERS`` ratings."""
        if self.cut_score is None or self.fully_rated < len(self.items) or not self.items:
            return None
        return max(1, min(100, int(self.cut_score + 0.5)))

    @property
    def disagreements(self) -> list[ItemRatings]:
        rated = [i for i in self.items if i.sd is not None]
        return sorted(rated, key=lambda i: -i.sd)[:DISAGREEMENTS]


def live_items(bank: Bank) -> list[LiveItem]:
    """The bank's live question revisions, in the bank's order."""
    subtopics = {s.id: s.title for s in bank.subtopics}
    rows = db.session.execute(
        select(Question.external_id, QuestionRevision)
        .join(
            QuestionRevision,
            (QuestionRevision.question_id == Question.id) & (QuestionRevision.number == Question.current_number),
        )
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .order_by(Question.position)
    ).all()
    return [LiveItem(rev.id, ext, rev.stem, subtopics.get(rev.subtopic_id, "")) for ext, rev in rows]


def my_ratings(rater: User, bank: Bank) -> dict[int, int]:
    """The rater's ratings on the bank, by revision id."""
    return dict(
        db.session.execute(
            select(AngoffRating.revision_id, AngoffRating.probability).where(
                AngoffRating.rater_id == rater.id, AngoffRating.bank_id == bank.id
            )
        ).all()
    )


def rate(rater: User, bank: Bank, ratings: dict[int, int | None]) -> int:
    """Save the rater's ratings (percent, by revision id; None leaves a rating as it is); commits.

    Only live revisions of ``bank`` may be rated (``StandardSettingError`` otherwise). Returns the
    number of ratings saved.
    """
    live = {i.revision_id for i in live_items(bank)}
    given = {rid: p for rid, p in ratings.items() if p is not None}
    if set(given) - live:
        raise StandardSettingError("Only the bank's current questions can be rated.")
    if any(not 0 <= p <= 100 for p in given.values()):
        raise StandardSettingError("Ratings are percentages from 0 to 100.")
    existing = {
        r.revision_id: r
        for r in db.session.scalars(
            select(AngoffRating).where(AngoffRating.rater_id == rater.id, AngoffRating.revision_id.in_(given))
        )
    }
    for rid, p in given.items():
        row = existing.get(rid)
        if row is None:
            db.session.add(
                AngoffRating(
                    rater_id=rater.id, bank_id=bank.id, revision_id=rid, clinic_id=rater.clinic_id, probability=p
                )
            )
        elif row.probability != p:
            row.probability = p
    db.session.commit()
    return len(given)


def _panel(bank: Bank, clinic_id: int) -> list[AngoffRating]:
    return list(
        db.session.scalars(
            select(AngoffRating)
            .join(User, User.id == AngoffRating.rater_id)
            .where(
                AngoffRating.bank_id == bank.id,
                (AngoffRating.clinic_id == clinic_id) | AngoffRating.clinic_id.is_(None),
            )
            .options(selectinload(AngoffRating.rater))
            .order_by(AngoffRating.rater_id, AngoffRating.revision_id)
        )
    )


def aggregate(bank: Bank, clinic_id: int) -> Aggregate:
    """The panel's ratings on the bank's live questions, aggregated (module doc)."""
    items = live_items(bank)
    live = {i.revision_id for i in items}
    by_item: dict[int, list[int]] = defaultdict(list)
    by_rater: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for r in _panel(bank, clinic_id):
        if r.revision_id in live:
            by_item[r.revision_id].append(r.probability)
            by_rater[r.rater_id].append(r.probability)
            names[r.rater_id] = r.rater.name
    rated = [ItemRatings(i, by_item.get(i.revision_id, [])) for i in items]
    raters = [RaterCut(rid, names[rid], len(v), statistics.fmean(v)) for rid, v in sorted(by_rater.items())]
    means = [i.mean for i in rated if i.mean is not None]
    cuts = [r.cut for r in raters]
    rater_sd = statistics.stdev(cuts) if len(cuts) > 1 else None
    return Aggregate(
        bank=bank,
        items=rated,
        raters=raters,
        cut_score=statistics.fmean(means) if means else None,
        rater_sd=rater_sd,
        cut_se=rater_sd / len(cuts) ** 0.5 if rater_sd is not None else None,
    )


def adopt(bank: Bank, clinic: Clinic, by: User, expected_mark: int) -> PassMarkAdoption:
    """Adopt the panel's recommendation as ``clinic``'s mark for ``bank``; one transaction, audited.

    ``expected_mark`` is the recommendation the admin saw: if ratings changed since, nothing is
    adopted. Raises ``StandardSettingError`` (no recommendation, it changed, or the programme does
    not require the bank) or ``programmes.RuleError``.
    """
    if not by.is_admin:
        raise StandardSettingError("Only an administrator can adopt a pass mark.")
    result = aggregate(bank, clinic.id)
    if result.recommended is None:
        raise StandardSettingError(f"Every current question needs at least {MIN_RATERS} ratings first.")
    if result.recommended != expected_mark:
        raise StandardSettingError("The ratings changed since the page was shown; review the recommendation again.")
    programme = evaluation.programme_for(clinic.id)
    marks = {pb.bank_id: pb.min_score for pb in programme.banks}
    if not programme.require_all_banks and bank.id not in marks:
        raise StandardSettingError("This clinic's programme does not require this bank.")
    previous = marks.get(bank.id)
    panel = _panel(bank, clinic.id)
    live = {i.revision_id: i.external_id for i in live_items(bank)}
    adoption = PassMarkAdoption(
        clinic_id=clinic.id,
        bank_id=bank.id,
        adopted_by_id=by.id,
        pass_mark=result.recommended,
        previous_mark=previous,
        cut_score=result.cut_score,
        raters=len(result.raters),
        items=len(result.items),
        ratings=[
            {
                "rater_id": r.rater_id,
                "rater": r.rater.name,
                "revision_id": r.revision_id,
                "question": live[r.revision_id],
                "probability": r.probability,
            }
            for r in panel
            if r.revision_id in live
        ],
    )
    db.session.add(adoption)
    db.session.flush()
    audit_trail.record(
        "pass_mark.adopted",
        actor=by,
        clinic_id=clinic.id,
        bank=bank.slug,
        before=previous if previous is not None else bank.pass_mark,
        after=result.recommended,
        cut_score=round(result.cut_score, 2),
        raters=len(result.raters),
        adoption_id=adoption.id,
    )
    try:
        programmes.update_programme(
            programme,
            by,
            require_all_banks=programme.require_all_banks,
            bank_marks={**marks, bank.id: result.recommended},
            validity_months=programme.validity_months,
            sessions_required=programme.sessions_required,
            region_minimums={r.region: r.minimum for r in programme.regions},
            critical_subtopic_ids={c.subtopic_id for c in programme.critical_subtopics},
            critical_min=programme.critical_min,
        )  # commits the adoption and its audit event with the programme change
    except programmes.RuleError:
        db.session.rollback()
        raise
    return adoption


def adoptions(bank: Bank, clinic_id: int) -> list[PassMarkAdoption]:
    """The clinic's adoptions for the bank, newest first."""
    return list(
        db.session.scalars(
            select(PassMarkAdoption)
            .where(PassMarkAdoption.bank_id == bank.id, PassMarkAdoption.clinic_id == clinic_id)
            .order_by(PassMarkAdoption.adopted_at.desc(), PassMarkAdoption.id.desc())
        )
    )
