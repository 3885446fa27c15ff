"""The supervisor's clinic dashboard: every trainee against every requirement.

Built from a fixed number of queries whatever the clinic's size: the trainees, their best
scores per bank, their last activity, and the certification records evaluated by
``evaluation.statuses``. Filtering, sorting and paging happen on the computed rows,
because status is computed, not stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, text, true

from ...extensions import db
from ...models import (
    Attempt,
    AttemptState,
    AuditEvent,
    Bank,
    Certificate,
    Programme,
    ProgrammeBank,
    RegionMinimum,
    Role,
    SupervisedSession,
    User,
    utcnow,
)
from ...models.audit import NOT_SIGN_IN
from ..certification import evaluation
from ..certification.evaluation import CertificationStatus, Requirement, Status
from . import shared_figures

SORTS = ("name", "status", "activity")
STATUS_ORDER = {s: i for i, s in enumerate(Status)}


@dataclass(frozen=True)
class Cell:
    requirement: Requirement | None
    best: float | None = None
    last_passed: dt.datetime | None = None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str


@dataclass(frozen=True)
class Row:
    user: Any  # a row with id, name, email, last_login_at
    status: CertificationStatus
    best: dict[str, tuple[float, dt.datetime]]  # bank slug -> (best score, last submitted)
    last_activity: dt.datetime | None
    columns: list[Column]

    @property
    def cells(self) -> list[Cell]:
        """Built on demand: a page shows 25 rows, so 2,000 rows' cells would be wasted work."""
        by_key = {r.key: r for r in self.status.requirements}
        out = []
        for col in self.columns:
            best, last = self.best.get(col.key, (None, None))
            out.append(Cell(by_key.get(col.key), best, last))
        return out


@dataclass(frozen=True)
class Dashboard:
    columns: list[Column]
    rows: list[Row]  # this page
    total: int  # after filtering
    page: int
    pages: int
    summary: Counter


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    inactive_days: int | None = None
    expiring: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 25


_user, _attempt, _session = User.__table__, Attempt.__table__, SupervisedSession.__table__
_clinic_id = bindparam("clinic_id", type_=Integer)
# Plain rows on tables, built once: 2,000 ORM objects, or the ORM's row handling, would cost more than the page.
_TRAINEES = (
    select(
        _user.c.id,
        _user.c.name,
        _user.c.email,
        _user.c.last_login_at,
        select(func.max(_session.c.created_at))
        .where(_session.c.trainee_id == _user.c.id)
        .scalar_subquery()
        .label("latest_session"),
    )
    .where(_user.c.clinic_id == _clinic_id, _user.c.role == Role.TRAINEE)
    .order_by(_user.c.name, _user.c.id)
)
_submitted = _attempt.c.state == AttemptState.SUBMITTED
# One pass over the clinic's attempts: best submitted score per bank, and the latest start.
_ATTEMPTS_BY_BANK = (
    select(
        _attempt.c.user_id,
        _attempt.c.bank_id,
        func.max(_attempt.c.score).filter(_submitted),
        func.max(_attempt.c.submitted_at).filter(_submitted),
        func.max(_attempt.c.started_at),
    )
    .join(_user, _user.c.id == _attempt.c.user_id)
    .where(_user.c.clinic_id == _clinic_id)
    .group_by(_attempt.c.user_id, _attempt.c.bank_id)
)


@dataclass(frozen=True)
class ClinicFigures:
    """What the dashboard derives from the clinic's records, kept while its fingerprint holds:
    the rules, each trainee's status, best score and last submit per bank, and latest start."""

    rules: evaluation.Rules
    statuses: dict[int, CertificationStatus]
    best: dict[int, dict[str, tuple[float, dt.datetime]]]  # user id -> bank slug -> (best, last submitted)
    latest_start: dict[int, dt.datetime]


# The fields of everything ClinicFigures holds, part of the key: figures another version of the
# code stored (before a deploy) are not read back as objects of a different shape.
FIGURES_SHAPE = repr(
    [
        (kind.__qualname__, [f.name for f in dataclasses.fields(kind)])
        for kind in (ClinicFigures, evaluation.Rules, evaluation.BankRule, CertificationStatus, Requirement)
    ]
    + [list(Status)]
)


def all_rows(clinic_id: int, today: dt.date | None = None) -> tuple[list[Column], list[Row]]:
    """Every trainee of the clinic with status, cells and last activity, unfiltered.

    Two queries while the clinic's records are unchanged (the trainees with their names, last
    login and latest session, read fresh each time; and the fingerprint); everything derived
    from attempts, sessions and rules is computed again only when the fingerprint changes."""
    today = today or utcnow().date()
    trainees = db.session.execute(_TRAINEES, {"clinic_id": clinic_id}).all()
    figures = cached_figures(clinic_id, [t.id for t in trainees], today)
    rules = figures.rules
    columns = [Column(b.slug, b.title, "bank") for b in rules.banks]
    if rules.sessions_required:
        columns.append(Column("sessions", "Supervised sessions", "sessions"))
    columns += [Column(region, f"Sessions: {region}", "region") for region, _ in rules.region_minimums]
    rows = []
    for t in trainees:
        moments = [m for m in (figures.latest_start.get(t.id), t.latest_session, t.last_login_at) if m]
        rows.append(
            Row(t, figures.statuses[t.id], figures.best.get(t.id, {}), max(moments) if moments else None, columns)
        )
    return columns, rows


def _attempt_figures(clinic_id: int, rules: evaluation.Rules) -> tuple[dict, dict]:
    """Best score and last submit per trainee and bank of the programme, and each one's latest start."""
    slug_of = {b.bank_id: b.slug for b in rules.banks}
    best: dict[int, dict[str, tuple[float, dt.datetime]]] = {}
    latest_start: dict[int, dt.datetime] = {}
    for user_id, bank_id, top, last, started in db.session.execute(_ATTEMPTS_BY_BANK, {"clinic_id": clinic_id}):
        if last is not None and bank_id in slug_of:
            best.setdefault(user_id, {})[slug_of[bank_id]] = (top, last)
        if user_id not in latest_start or started > latest_start[user_id]:
            latest_start[user_id] = started
    return best, latest_start


class _StatusCache:
    """The clinic's figures (``ClinicFigures``), reused while nothing they depend on has changed.

    Evaluating 2,000 trainees costs about 250 ms, reading the rules five queries, and the best
    scores a pass over the clinic's attempts; the fingerprint that validates the cache is one
    query. Each worker keeps its own copy and checks it against the database on every use, so
    workers stay stateless in the sense that matters: none ever serves stale data. A worker that
    misses here reads what another computed for the same fingerprint (``shared_figures``) before
    computing it. Only derived values are kept (no ORM objects); names, last logins and latest
    sessions are read fresh.
    """

    def __init__(self, size: int = 32):
        self.size = size
        self.entries: OrderedDict[int, tuple[tuple, ClinicFigures]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, clinic_id: int, key: tuple) -> ClinicFigures | None:
        with self.lock:
            entry = self.entries.get(clinic_id)
            if entry is None or entry[0] != key:
                return None
            self.entries.move_to_end(clinic_id)
            return entry[1]

    def put(self, clinic_id: int, key: tuple, value: ClinicFigures) -> None:
        with self.lock:
            self.entries[clinic_id] = (key, value)
            self.entries.move_to_end(clinic_id)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_cache = _StatusCache()


def _fingerprint_statement():
    """Everything a status depends on, condensed: any write that can change one changes this.

    One query, and one pass over each table: the aggregates of a table share a subquery (a
    scalar subquery per aggregate scanned the attempts twice and the sessions three times).
    The rules are in it too (the programme's row and its bank marks and region minimums, which
    a change replaces or edits), so they are cached with the statuses. Built once: it runs on
    every view of the dashboard."""
    clinic_id = bindparam("clinic_id", type_=Integer)
    trainee_ids = select(User.id).where(User.clinic_id == clinic_id, User.role == Role.TRAINEE)
    programme_ids = select(Programme.id).where(Programme.clinic_id == clinic_id)
    per_table = [
        select(func.count(User.id), func.max(User.id)).where(User.clinic_id == clinic_id, User.role == Role.TRAINEE),
        # Every attempt: opening one is activity ("in progress"), submitting one is a new result
        # (counted: a time-up submit is dated at its expiry, which may be older than the latest).
        # A correction that regrades old attempts re-imports its bank, which the banks' part sees.
        select(func.count(Attempt.id), func.count(Attempt.submitted_at), func.max(Attempt.submitted_at)).where(
            Attempt.user_id.in_(trainee_ids)
        ),
        select(
            func.count(SupervisedSession.id), func.max(SupervisedSession.id), func.max(SupervisedSession.reviewed_at)
        ).where(SupervisedSession.trainee_id.in_(trainee_ids)),
        select(func.count(Certificate.id), func.count(Certificate.revoked_at)).where(
            Certificate.user_id.in_(trainee_ids)
        ),
        select(func.max(Bank.imported_at), func.count(Bank.id)),
        # Audited admin actions (a role or clinic changed, an account deactivated...), but not
        # logins and password events, which change no status.
        select(func.max(AuditEvent.id)).where(AuditEvent.clinic_id == clinic_id, text(NOT_SIGN_IN)),
        select(func.count(Programme.id), func.max(Programme.updated_at)).where(Programme.clinic_id == clinic_id),
        select(func.count(ProgrammeBank.id), func.max(ProgrammeBank.id), func.sum(ProgrammeBank.min_score)).where(
            ProgrammeBank.programme_id.in_(programme_ids)
        ),
        select(func.count(RegionMinimum.id), func.max(RegionMinimum.id), func.sum(RegionMinimum.minimum)).where(
            RegionMinimum.programme_id.in_(programme_ids)
        ),
    ]
    tables = [query.subquery() for query in per_table]
    joined = tables[0]
    for table in tables[1:]:
        joined = joined.join(table, true())  # each is one row: a cross join of single rows
    return select(*[c for t in tables for c in t.c]).select_from(joined)


_FINGERPRINT = _fingerprint_statement()


def fingerprint(clinic_id: int, today: dt.date) -> tuple:
    """The clinic's fingerprint today (``_fingerprint_statement``)."""
    return (today, *db.session.execute(_FINGERPRINT, {"clinic_id": clinic_id}).one())


def cached_figures(clinic_id: int, ids: list[int], today: dt.date) -> ClinicFigures:
    """The clinic's figures for the listed trainees: from the cache while the fingerprint holds,
    else read and computed afresh (and cached). The key is read first, so that cached figures
    are never older than their key."""
    key = (FIGURES_SHAPE, *fingerprint(clinic_id, today))
    found = _cache.get(clinic_id, key)
    if found is None:
        found = shared_figures.load(clinic_id, key)  # computed by another worker
        if found is not None:
            _cache.put(clinic_id, key, found)
    if found is not None and all(uid in found.statuses for uid in ids):
        return found
    rules = evaluation.rules_of(evaluation.programme_for(clinic_id))
    statuses = {
        uid: dataclasses.replace(st, certificate=None, revoked=None, history=[])
        for uid, st in evaluation.statuses(clinic_id, ids, today, rules).items()
    }
    figures = ClinicFigures(rules, statuses, *_attempt_figures(clinic_id, rules))
    _cache.put(clinic_id, key, figures)
    shared_figures.store(clinic_id, key, figures)
    return figures


def clinic_dashboard(clinic_id: int, filters: Filters, today: dt.date | None = None) -> Dashboard:
    today = today or utcnow().date()
    columns, rows = all_rows(clinic_id, today)
    summary = Counter(r.status.status for r in rows)
    chosen = [r for r in rows if _keep(r, filters, today)]
    chosen.sort(key=_sort_key(filters.sort, columns), reverse=filters.descending)
    pages = max(1, -(-len(chosen) // filters.per_page))
    page = min(max(1, filters.page), pages)
    start = (page - 1) * filters.per_page
    return Dashboard(columns, chosen[start : start + filters.per_page], len(chosen), page, pages, summary)


def _keep(row: Row, f: Filters, today: dt.date) -> bool:
    if f.q and f.q.lower() not in row.user.name.lower() and f.q.lower() not in row.user.email:
        return False
    if f.status and row.status.status.value != f.status:
        return False
    if f.expiring and row.status.status != Status.EXPIRING:
        return False
    if f.inactive_days is not None:
        cutoff = dt.datetime.combine(today - dt.timedelta(days=f.inactive_days), dt.time())
        if row.last_activity is not None and row.last_activity >= cutoff:
            return False
    return True


def _sort_key(sort: str, columns: list[Column]):
    """Sort by name, status, last activity, or ``bank:<slug>`` (best score, untried last)."""
    if sort.startswith("bank:") and any(c.key == sort[5:] and c.kind == "bank" for c in columns):
        slug = sort[5:]
        return lambda r: (r.best[slug][0] if slug in r.best else -1, r.user.name.lower())
    if sort == "status":
        return lambda r: (STATUS_ORDER[r.status.status], r.user.name.lower())
    if sort == "activity":
        return lambda r: (r.last_activity or dt.datetime.min, r.user.name.lower())
    return lambda r: (r.user.name.lower(), r.user.id)
