"""Where a page's CPU goes under load: the gunicorn workers, PostgreSQL and wrk, per request.

One closed-loop wrk run (as `make bench` measures it) with the CPU time of every gunicorn,
postgres and wrk process read before and after; each total is divided by the requests served.
The machine's two cores are shared by all three, so a page's share of the hello ceiling is set
by the sum. Traffic only to 127.0.0.1; bounded by ``--seconds``.

    python -m bench.cpu_split save      # on the seeded bench database (make bench seeds it)
    python -m bench.cpu_split question --users 10 --seconds 10
"""

from __future__ import annotations

import argparse
import threading
import time

import psutil

from . import wrk
from .run import Server

KINDS = ("gunicorn", "postgres", "wrk")


def _kind(process: psutil.Process) -> str | None:
    name = process.info["name"] or ""
    command = " ".join(process.info["cmdline"] or [])
    if "postgres" in name:
        return "postgres"
    if "gunicorn" in command:
        return "gunicorn"
    return "wrk" if name == "wrk" else None


def _cpu_seconds() -> dict[int, tuple[str, float]]:
    seen = {}
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            kind = _kind(process)
            if kind:
                times = process.cpu_times()
                seen[process.pid] = (kind, times.user + times.system)
        except psutil.Error:
            continue
    return seen


def measure(url: str, scenario: str, users: int, seconds: int) -> tuple[int, dict[str, float]]:
    """Requests served and CPU seconds per kind of process over one wrk run (after a warm-up run)."""
    wrk.run(url, scenario, users, 3, 1)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(wrk.run(url, scenario, users, seconds, 101, warmup=0)))
    before = _cpu_seconds()
    worker.start()
    last_wrk: dict[int, tuple[str, float]] = {}
    while worker.is_alive():  # wrk exits at the end of its run: keep its last reading
        last_wrk.update({pid: v for pid, v in _cpu_seconds().items() if v[0] == "wrk"})
        time.sleep(0.5)
    after = {**last_wrk, **_cpu_seconds()}
    spent = dict.fromkeys(KINDS, 0.0)
    for pid, (kind, cpu) in after.items():
        spent[kind] += cpu - before.get(pid, (kind, 0.0))[1]
    return int(result["Request Count"]), spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=wrk.SCENARIOS)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    app = "bench.hello:app" if args.scenario == "hello" else "wsgi:app"
    server = Server(app, args.database_url, args.workers, port=5071)
    try:
        requests, spent = measure(server.url, args.scenario, args.users, args.seconds)
    finally:
        server.stop()
    print(f"{args.scenario}, {args.users} users: {requests} requests in {args.seconds} s")
    for kind in KINDS:
        print(f"  {kind:9} {spent[kind]:6.2f} s CPU = {1000 * spent[kind] / max(requests, 1):.3f} ms per request")


if __name__ == "__main__":
    main()
