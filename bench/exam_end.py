"""The end of an exam: N trainees, each with a full attempt saved, press Submit within one second.

An open-loop burst: every submit leaves at its own scheduled moment (evenly spread over one
second), whether or not the earlier ones have been answered, as a cohort told "time is nearly
up" would press it. Latency is measured from that scheduled moment, so a server that falls
behind is charged for the wait (no coordinated omission). Each simulated browser then follows
the redirect to its result page, as a browser does; both times are reported.

After the burst the database says whether every attempt was graded exactly once: submitted,
scored, every item's response scored, and every item's memory card reviewed exactly once more
than before the burst (a lost submit leaves it unreviewed, a double grade reviews it twice).

Traffic goes to 127.0.0.1 only, and is bounded: at most ``MAX_TRAINEES`` people, each sending
20 saves to prepare and then one submit and one page, every request with a timeout.

    python -m bench.exam_end                   # a gunicorn of its own on the seeded bench database
    python -m bench.exam_end --trainees 50 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from . import wrk

BANK = wrk.BANK
QUESTIONS = wrk.QUESTIONS
MAX_TRAINEES = 500
TIMEOUT = 30  # seconds, per request
FIRST_TRAINEE = 1801  # bench trainees 1801-2000: no other scenario of `make bench` logs them in
LAST_TRAINEE = 2000
JSON = {"Accept": "application/json"}


@dataclass
class Trainee:
    number: int
    session: requests.Session
    csrf: str
    attempt: int
    submit_ms: float | None = None
    page_ms: float | None = None
    error: str | None = None


@dataclass
class Burst:
    trainees: int
    submit: list[float] = field(default_factory=list)  # ms from the scheduled moment to the answer
    page: list[float] = field(default_factory=list)  # ms from the scheduled moment to the result page
    errors: int = 0
    graded_once: int = 0
    seconds: float = 0.0  # from the first scheduled submit to the last result page

    @property
    def served_per_second(self) -> float:
        return len(self.submit) / self.seconds if self.seconds else 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the value below which a fraction ``q`` of the sample lies."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _numbers(first: int, count: int) -> list[int]:
    """``count`` trainee numbers from ``first``, wrapping within the range kept for this scenario."""
    span = LAST_TRAINEE - FIRST_TRAINEE + 1
    return [FIRST_TRAINEE + (first - FIRST_TRAINEE + i) % span for i in range(count)]


def _keys(engine: sa.Engine, attempt_id: int) -> list[tuple[list[int], set[int], str]]:
    """Per question of the attempt, in order: display order, correct choice ids, question type."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT aq.choice_order, qr.type, array_agg(c.id) FILTER (WHERE c.is_correct) "
                "FROM attempt_question aq JOIN question_revision qr ON qr.id = aq.revision_id "
                "JOIN choice c ON c.revision_id = qr.id WHERE aq.attempt_id = :a "
                "GROUP BY aq.id, qr.id ORDER BY aq.position"
            ),
            {"a": attempt_id},
        ).all()
    return [(list(order), set(correct or ()), kind) for order, kind, correct in rows]


def prepare(base: str, engine: sa.Engine, number: int, skill: float) -> Trainee:
    """Log in, start an attempt and save an answer to every question: right with probability ``skill``."""
    session, csrf = wrk.log_in(base, f"trainee{number}@bench.test")
    started = session.post(f"{base}/trainee/banks/{BANK}/start", data={"csrf_token": csrf}, timeout=TIMEOUT)
    match = wrk.ATTEMPT_RE.search(started.url)
    if not match:
        raise wrk.LoginFailed(f"trainee{number} could not start an attempt")
    attempt = int(match.group(1))
    rng = random.Random(number)
    for position, (order, correct, _kind) in enumerate(_keys(engine, attempt)):
        if rng.random() < skill:
            picked = [i for i, cid in enumerate(order) if cid in correct]
        else:
            picked = [next(i for i, cid in enumerate(order) if cid not in correct)]
        saved = session.post(
            f"{base}/trainee/attempts/{attempt}/questions/{position + 1}",
            data={"answer": [str(p) for p in picked]},
            headers={**JSON, "X-CSRFToken": csrf},
            timeout=TIMEOUT,
        )
        if saved.status_code != 200:
            raise RuntimeError(f"trainee{number}: saving question {position + 1} gave {saved.status_code}")
    return Trainee(number, session, csrf, attempt)


# Per attempt: its state and result, how many of its items have a scored response, and per item
# the number of reviews on the trainee's memory card of that question (0 when there is none).
_STATE = sa.text(
    "SELECT a.id, a.state, a.score IS NOT NULL AND a.passed IS NOT NULL AS scored, "
    "(SELECT count(*) FROM response r WHERE r.attempt_id = a.id AND r.score IS NOT NULL) AS responses, "
    "array_agg(coalesce(mc.reviews, 0) ORDER BY aq.position) AS reviews "
    "FROM attempt a JOIN attempt_question aq ON aq.attempt_id = a.id "
    "JOIN question_revision qr ON qr.id = aq.revision_id "
    "LEFT JOIN memory_card mc ON mc.user_id = a.user_id AND mc.question_id = qr.question_id "
    "WHERE a.id = ANY(:ids) GROUP BY a.id"
)


def _state(engine: sa.Engine, attempt_ids: list[int]) -> dict[int, sa.Row]:
    with engine.connect() as conn:
        return {row.id: row for row in conn.execute(_STATE, {"ids": attempt_ids})}


def graded_exactly_once(before: sa.Row, after: sa.Row) -> bool:
    """Submitted and scored, every item scored, and every item's card reviewed exactly once more."""
    return (
        after.state == "submitted"
        and after.scored
        and after.responses == len(after.reviews)
        and all(b + 1 == a for b, a in zip(before.reviews, after.reviews, strict=True))
    )


def _submit(trainee: Trainee, base: str, at: float) -> None:
    """At the scheduled moment ``at`` (monotonic), submit; then open the result page."""
    time.sleep(max(0.0, at - time.monotonic()))
    try:
        answer = trainee.session.post(
            f"{base}/trainee/attempts/{trainee.attempt}/finish",
            data={"csrf_token": trainee.csrf},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        trainee.submit_ms = (time.monotonic() - at) * 1000
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or f"/attempts/{trainee.attempt}/review" not in location:
            trainee.error = f"submit answered {answer.status_code} {location}"
            return
        page = trainee.session.get(base + urlsplit(location).path, timeout=TIMEOUT)
        trainee.page_ms = (time.monotonic() - at) * 1000
        if page.status_code != 200:
            trainee.error = f"result page answered {page.status_code}"
    except requests.RequestException as exc:
        trainee.error = f"{exc.__class__.__name__}: {exc}"


def burst(base: str, database_url: str, count: int = 50, first: int = FIRST_TRAINEE, spread: float = 1.0) -> Burst:
    """Prepare ``count`` trainees, then have them all submit within ``spread`` seconds; check the database."""
    if urlsplit(base).hostname != "127.0.0.1":
        raise ValueError("the exam-end burst only ever targets 127.0.0.1")
    if not 1 <= count <= MAX_TRAINEES:
        raise ValueError(f"between 1 and {MAX_TRAINEES} trainees")
    engine = sa.create_engine(database_url)
    try:
        numbers = _numbers(first, count)
        # Half the cohort answers well and mostly passes, half does not: both grading paths run.
        with ThreadPoolExecutor(max_workers=4) as pool:
            cohort = list(pool.map(lambda n: prepare(base, engine, n, 0.9 if n % 2 else 0.4), numbers))
        ids = [t.attempt for t in cohort]
        before = _state(engine, ids)
        start = time.monotonic() + 0.5
        threads = [
            threading.Thread(target=_submit, args=(t, base, start + spread * i / count), daemon=True)
            for i, t in enumerate(cohort)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=2 * TIMEOUT + spread + 5)
        finished = max((t.page_ms or t.submit_ms or 0.0) + spread * i / count * 1000 for i, t in enumerate(cohort))
        after = _state(engine, ids)
    finally:
        engine.dispose()
    result = Burst(trainees=count, seconds=finished / 1000)
    for t in cohort:
        if t.submit_ms is not None and t.error is None:
            result.submit.append(t.submit_ms)
            result.page.append(t.page_ms)
        else:
            result.errors += 1
            print(f"  trainee{t.number}: {t.error or 'no answer'}", flush=True)
    result.graded_once = sum(graded_exactly_once(before[i], after[i]) for i in ids if i in before and i in after)
    return result


def summary(runs: list[Burst]) -> dict[str, float]:
    """Medians over runs of each run's p50, p95 and max; errors and gradings summed."""

    def median(values) -> float:
        return statistics.median(values) if runs else float("nan")

    return {
        "submit_p50": median(percentile(r.submit, 0.5) for r in runs),
        "submit_p95": median(percentile(r.submit, 0.95) for r in runs),
        "submit_max": median(max(r.submit, default=float("nan")) for r in runs),
        "page_p50": median(percentile(r.page, 0.5) for r in runs),
        "page_p95": median(percentile(r.page, 0.95) for r in runs),
        "page_max": median(max(r.page, default=float("nan")) for r in runs),
        "served_per_second": median(r.served_per_second for r in runs),
        "submits": sum(r.trainees for r in runs),
        "errors": sum(r.errors for r in runs),
        "graded_once": sum(r.graded_once for r in runs),
    }


def main() -> None:
    from .run import WORKERS, Server  # the same gunicorn set-up as `make bench`

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--first", type=int, default=FIRST_TRAINEE)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default 2 x cores)")
    args = parser.parse_args()
    server = Server("wsgi:app", args.database_url, args.workers or WORKERS, port=5062)
    try:
        runs = []
        for r in range(args.repeat):
            runs.append(burst(server.url, args.database_url, args.trainees, args.first + r * args.trainees))
            s = summary(runs[-1:])
            print(
                f"run {r + 1}: submit p50 {s['submit_p50']:.0f} p95 {s['submit_p95']:.0f} max {s['submit_max']:.0f} ms; "
                f"result page p50 {s['page_p50']:.0f} p95 {s['page_p95']:.0f} max {s['page_max']:.0f} ms; "
                f"errors {s['errors']}; graded exactly once {s['graded_once']}/{s['submits']}",
                flush=True,
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
