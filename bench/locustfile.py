"""Simulated people for `make bench` (driven by bench/run.py, one scenario at a time).

``BENCH_SCENARIO`` picks what each simulated user does in a loop:
  submit         submitting an attempt (then starting the next one, reported separately)
  trainee-open   open shape: a trainee reads a question, answers it, moves on, 3-10 s apart
  supervisor-open open shape: a supervisor refreshes the dashboard every 2-5 s
``BENCH_WAIT`` = "closed" (no think time) or "open" (the think times above).
The closed loop of the single-request endpoints is wrk's (bench/wrk.py).
"""

from __future__ import annotations

import itertools
import os
import random
import re

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, constant, task

SCENARIO = os.environ.get("BENCH_SCENARIO", "submit")
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password-1")
TRAINEES = int(os.environ.get("BENCH_TRAINEES", "2000"))
SUPERVISORS = int(os.environ.get("BENCH_SUPERVISORS", "10"))
BANK = os.environ.get("BENCH_BANK", "bench-safety")
QUESTIONS = 20
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ATTEMPT_RE = re.compile(r"/trainee/attempts/(\d+)/questions/")
_next_trainee = itertools.count(int(os.environ.get("BENCH_FIRST_TRAINEE", "1")))
_next_supervisor = itertools.count(1)
USERS = int(os.environ.get("BENCH_USERS", "1"))
_everyone_ready = Event()
_ready_count = itertools.count(1)


WARMUP = float(os.environ.get("BENCH_WARMUP", "0"))
MEASURE = float(os.environ.get("BENCH_MEASURE", "0"))


def _ready(environment) -> None:
    """Measure only once every simulated person has logged in (argon2 logins are not the load
    under test), after a warm-up, for a fixed window: then every run measures the same span."""
    if next(_ready_count) >= USERS:
        environment.runner.stats.reset_all()
        _everyone_ready.set()
        if MEASURE:
            gevent.spawn(_measure_window, environment)
    _everyone_ready.wait(timeout=120)


def _measure_window(environment) -> None:
    gevent.sleep(WARMUP)
    environment.runner.stats.reset_all()
    gevent.sleep(MEASURE)
    environment.runner.quit()


def _think():
    return between(3, 10) if SCENARIO == "trainee-open" else between(2, 5)


class Person(FastHttpUser):
    wait_time = constant(0) if os.environ.get("BENCH_WAIT", "closed") == "closed" else _think()

    def on_start(self):
        self.number = 0
        if SCENARIO == "supervisor-open":
            n = (next(_next_supervisor) - 1) % SUPERVISORS + 1
            self._login(f"supervisor{n}@bench.test")
        else:
            n = (next(_next_trainee) - 1) % TRAINEES + 1
            self._login(f"trainee{n}@bench.test")
            self._start_attempt()
        _ready(self.environment)
        if os.environ.get("BENCH_WAIT", "closed") == "open":
            # Released together, 300 people would all click at once; real trainees arrive spread out.
            gevent.sleep(random.uniform(0, 10 if SCENARIO == "trainee-open" else 5))

    def _token(self, path: str) -> str:
        with self.client.get(path, name="(setup)", catch_response=True) as r:
            match = TOKEN_RE.search(r.text or "")
            if not match:
                r.failure(f"no CSRF token on {path}")
                return ""
            r.success()
            return match.group(1)

    def _login(self, email: str) -> None:
        token = self._token("/auth/login")
        self.client.post(
            "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, name="(setup)"
        )
        self.csrf = self._token("/auth/password")

    def _start_attempt(self, name: str = "(setup)") -> None:
        with self.client.post(
            f"/trainee/banks/{BANK}/start", data={"csrf_token": self.csrf}, name=name, catch_response=True
        ) as r:
            match = ATTEMPT_RE.search(r.url or "") or ATTEMPT_RE.search(r.text or "")
            if not match:
                r.failure("no attempt started")
                self.attempt = None
                return
            r.success()
            self.attempt = int(match.group(1))

    def _question_url(self) -> str:
        self.number = self.number % QUESTIONS + 1
        return f"/trainee/attempts/{self.attempt}/questions/{self.number}"

    @task
    def act(self):
        if SCENARIO == "submit":
            self.client.post(f"/trainee/attempts/{self.attempt}/finish", data={"csrf_token": self.csrf}, name="submit")
            self._start_attempt(name="(start next attempt)")
        elif SCENARIO == "supervisor-open":
            self.client.get("/supervisor/", name="supervisor dashboard")
        elif SCENARIO == "trainee-open":
            url = self._question_url()
            self.client.get(url, name="question page")
            self.client.post(
                url,
                data={"answer": "0"},
                headers={"Accept": "application/json", "X-CSRFToken": self.csrf},
                name="answer save",
            )
