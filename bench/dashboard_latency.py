"""Latency of the supervisor pages on a seeded clinic (issue 5's benchmark).

Seeds PostgreSQL (bench.seed: one clinic, 2,000 trainees, 200,000 responses), then requests
each page through the app in this process (Flask test client: server time, no network) as
the clinic's supervisor, and writes p50/p95 to bench/results-dashboard.md.

    python -m bench.dashboard_latency [--trainees 2000 --responses 200000 --runs 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import time
from pathlib import Path

import sqlalchemy as sa

from bench.seed import PASSWORD, seed
from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import User
from quizapp.runtime import tune_gc
from quizapp.services.analytics import dashboard

RESULTS = Path(__file__).with_name("results-dashboard.md")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(client, url: str, runs: int, before=None) -> tuple[float, float, int]:
    client.get(url)  # warm caches and connections
    times = []
    size = 0
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(body)
    return statistics.median(times), percentile(times, 0.95), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--no-seed", action="store_true", help="reuse the database from a previous run")
    args = parser.parse_args()
    counts = None if args.no_seed else seed(args.database_url, 1, args.trainees, args.responses)

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    tune_gc()  # as gunicorn.conf.py does in every worker
    client = app.test_client()
    assert client.post("/auth/login", data={"email": "supervisor1@bench.test", "password": PASSWORD}).status_code == 302
    with app.app_context():
        busiest = db.session.execute(
            sa.text("SELECT user_id FROM attempt GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")
        ).scalar()
        trainees = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "trainee"))
        responses = db.session.execute(sa.text("SELECT count(*) FROM response")).scalar()

    def cold():
        dashboard._cache.entries.clear()  # as after any write that changes a status

    pages = [
        ("Dashboard (page 1 of 80, sorted by name)", "/supervisor/", args.runs),
        ("Dashboard, status cache miss (first view after a change)", "/supervisor/", args.runs, cold),
        (
            "Dashboard filtered (status, sorted by a bank)",
            "/supervisor/?status=in+progress&sort=bank:bench-safety&desc=y",
            args.runs,
        ),
        ("Trainee drill-down", f"/supervisor/trainees/{busiest}", args.runs),
        ("Item analysis (one bank, first attempts)", "/supervisor/items?bank=bench-safety", max(5, args.runs // 4)),
        ("Item analysis (all attempts)", "/supervisor/items?bank=bench-safety&attempts=all", max(5, args.runs // 4)),
        ("CSV export: progress table", "/supervisor/export/progress.csv", max(5, args.runs // 4)),
        ("CSV export: attempts", "/supervisor/export/attempts.csv", max(5, args.runs // 4)),
        ("CSV export: responses (200k rows)", "/supervisor/export/responses.csv", 3),
    ]
    rows = []
    for label, url, runs, *hook in pages:
        p50, p95, size = measure(client, url, runs, *hook)
        rows.append(f"| {label} | `{url}` | {runs} | {p50:.0f} | {p95:.0f} | {size / 1024:.0f} |")
        print(rows[-1], flush=True)
    header = [
        "# Supervisor pages: latency on a seeded clinic",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}), PostgreSQL at `{sa.engine.make_url(args.database_url).host}`.",
        f"Data: 1 clinic, {trainees} trainees, {responses} responses"
        + (f", seeded in {counts['seconds']} s" if counts else "")
        + ".",
        "Command: `.venv/bin/python -m bench.dashboard_latency` (in-process Flask test client: server time, no network).",
        "Target (issue 5): dashboard p95 under 150 ms on PostgreSQL.",
        "",
        "| page | URL | requests | p50 ms | p95 ms | KiB |",
        "|---|---|---|---|---|---|",
    ]
    RESULTS.write_text("\n".join(header + rows) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
