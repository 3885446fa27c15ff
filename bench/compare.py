"""Interleaved A/B: an earlier commit's code against this checkout's, on this machine, in one run.

Milliseconds and requests per second from different machines, or from one machine at different
hours, do not compare: these machines change speed. Serving two versions of the code in turns, on
the same seeded database with the same gunicorn settings and load generators, does. The default
earlier commit is 3d9bb87, the run #18's targets were set from; the table gives each speed-up
beside the one the target asks for.

    python -m bench.compare                              # after `make bench` has seeded the database
    python -m bench.compare --base 96de162 --rounds 3    # any earlier commit

The earlier code runs from a temporary git worktree with this checkout's virtualenv, against this
checkout's schema: later migrations only add tables, indexes and columns that have defaults, which
earlier code does not see. Writes bench/results-compare.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import tempfile
from pathlib import Path

from . import run as bench_run

RESULTS = bench_run.ROOT / "bench" / "results-compare.md"
# (scenario, users, what the targets of #18 ask: p50 at 1 user, req/s at 10 users, as a speed-up
# over 3d9bb87's figures in the issue's table; None where the issue set no target)
MEASURES = [
    ("home", 1, 10.1 / 5),
    ("dashboard", 1, 51 / 25),
    ("submit", 1, 81 / 30),
    ("question", 10, 15 / 11.7),
    ("save", 10, 15 / 11.1),
]


def measure(url: str, scenario: str, users: int, seconds: int, first: int) -> tuple[float, float]:
    """(req/s, p50 ms) of one closed-loop window, measured as `make bench` measures it."""
    row = bench_run.closed_loop(url, scenario, scenario, users, seconds, first)
    return float(row["Requests/s"]), float(row["50%"])


def worktree(commit: str, folder: str) -> Path:
    path = Path(folder, commit)
    subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=bench_run.ROOT, check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--base", default="3d9bb87", help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each serves both versions, in alternating order")
    parser.add_argument("--seconds", type=int, default=6, help="seconds per measurement window")
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=bench_run.ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    here = f"{head} (this checkout)"
    figures: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    hello: list[float] = []
    speed = [bench_run.cpu_check()]
    first = 0

    def next_people(users: int) -> int:
        nonlocal first
        first = (first + users) % 1800
        return first + 1

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as folder:
        roots = {args.base: worktree(args.base, folder), here: bench_run.ROOT}
        try:
            for round_ in range(args.rounds):
                server = bench_run.Server("bench.hello:app", args.database_url, bench_run.WORKERS, port=5090)
                try:
                    hello.append(measure(server.url, "hello", 1, args.seconds, 1)[0])
                finally:
                    server.stop()
                # Alternate which version goes first: these machines drift within minutes.
                for version in [args.base, here] if round_ % 2 == 0 else [here, args.base]:
                    server = bench_run.Server(
                        "wsgi:app", args.database_url, bench_run.WORKERS, 5091 + round_, roots[version]
                    )
                    try:
                        for scenario, users, _ in MEASURES:
                            result = measure(server.url, scenario, users, args.seconds, next_people(users))
                            figures.setdefault((version, scenario, users), []).append(result)
                            print(round_, version, scenario, users, *(f"{x:.3g}" for x in result), flush=True)
                    finally:
                        server.stop()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(roots[args.base])], cwd=bench_run.ROOT)
    speed.append(bench_run.cpu_check())
    write(args, here, figures, hello, speed)


def write(args, here: str, figures, hello: list[float], speed: list[float]) -> None:
    def median(version: str, scenario: str, users: int, index: int) -> float:
        return statistics.median(result[index] for result in figures[version, scenario, users])

    targets_base = args.base.startswith("3d9bb87")  # the targets are speed-ups over that commit only
    rows = []
    for scenario, users, asked in MEASURES:
        asked = asked if targets_base else None
        base_rate, new_rate = (median(v, scenario, users, 0) for v in (args.base, here))
        base_p50, new_p50 = (median(v, scenario, users, 1) for v in (args.base, here))
        gained = base_p50 / new_p50 if users == 1 else new_rate / base_rate
        rows.append(
            f"| {scenario} | {users} | {base_p50:.3g} | {new_p50:.3g} | {base_rate:.0f} | {new_rate:.0f} "
            f"| {gained:.2f}× | {f'{asked:.2f}×' if asked else '–'} |"
        )
    lines = [
        f"# {args.base} against {here}: interleaved on one machine",
        "",
        f"Written by `python -m bench.compare --base {args.base} --rounds {args.rounds} --seconds {args.seconds}` "
        f"on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; gunicorn with {bench_run.WORKERS} sync workers; the seeded bench database; "
        f"CPU check {speed[0]:.0f} ms at the start, {speed[-1]:.0f} ms at the end; the minimal Flask app at "
        f"1 user {statistics.median(hello):.0f} req/s (median of the rounds: "
        f"{', '.join(f'{h:.0f}' for h in hello)}).",
        "",
        f"Each round serves both versions in turn (alternating which goes first); figures are medians over "
        f"{args.rounds} rounds of {args.seconds} s windows. The speed-up is the p50 ratio at 1 user and the "
        "req/s ratio at 10 users, which is also the ratio of the two versions' shares of hello. \"The "
        'target asks" is the speed-up over 3d9bb87 that each target of #18 stands for (home 10.1 → 5 ms, '
        "dashboard 51 → 25 ms, submit 81 → 30 ms, question page and answer save 11.7 % and 11.1 % → 15 % of "
        "hello).",
        "",
        f"| page | users | {args.base} p50 ms | {here.split()[0]} p50 ms | {args.base} req/s "
        f"| {here.split()[0]} req/s | speed-up | the target asks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
