"""Closed-loop throughput with wrk: N simulated people, each its own connection, no think time.

wrk is written in C and spends a small fraction of what locust spends per request. On the 2-core
machines the bench runs on, the load generator shares the CPU with the server, so a Python load
generator caps what it can measure (locust reached 850 requests/s on the minimal Flask route, wrk
about 2,900). The people log in with ``requests`` first (argon2 logins are not the load under
test); wrk then replays their session cookies, one person per wrk thread and connection, so each
person waits for its answer before it asks again, as locust's closed loop did.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from . import seed as seeding

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ATTEMPT_RE = re.compile(r"/trainee/attempts/(\d+)/questions/")
USER_AGENT = "needlework-bench"  # the session is bound to it (strong session protection)
BANK = "bench-safety"
QUESTIONS = 20
SCENARIOS = ("hello", "floor", "home", "question", "save", "dashboard")
SUPERVISORS = 10
DRAIN_SECONDS = 2  # the slowest page at 50 users leaves well under a second of queued work


class LoginFailed(RuntimeError):
    pass


def _token(session: requests.Session, url: str) -> str:
    match = TOKEN_RE.search(session.get(url, timeout=30).text)
    if not match:
        raise LoginFailed(f"no CSRF token on {url}")
    return match.group(1)


def log_in(base: str, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    token = _token(session, base + "/auth/login")
    session.post(
        base + "/auth/login",
        data={"email": email, "password": seeding.PASSWORD, "csrf_token": token},
        timeout=30,
    )
    return session, _token(session, base + "/auth/password")


def people(base: str, scenario: str, users: int, first_trainee: int) -> list[dict]:
    """Log everyone in (and open an attempt where the scenario needs one); what wrk replays."""
    if scenario == "hello":
        return [{} for _ in range(users)]
    out = []
    for i in range(users):
        if scenario == "dashboard":
            session, token = log_in(base, f"supervisor{i % SUPERVISORS + 1}@bench.test")
            out.append({"cookie": session.cookies["session"]})
            continue
        session, token = log_in(base, f"trainee{first_trainee + i}@bench.test")
        person = {"cookie": session.cookies["session"], "csrf": token}
        if scenario in ("question", "save"):
            started = session.post(f"{base}/trainee/banks/{BANK}/start", data={"csrf_token": token}, timeout=30)
            match = ATTEMPT_RE.search(started.url)
            if not match:
                raise LoginFailed(f"trainee{first_trainee + i} could not start an attempt")
            person["attempt"] = int(match.group(1))
        out.append(person)
    return out


SCRIPT = """
local people = %(people)s
local scenario = "%(scenario)s"
local agent = "%(agent)s"
local count = 0
local threads = {}

function setup(thread)
  count = count + 1
  thread:set("me", count)
  table.insert(threads, thread)
end

function init(args)
  person = people[me]
  n = 0
  bad = 0
end

local function question_path()
  return "/trainee/attempts/" .. person.attempt .. "/questions/" .. (n %% %(questions)d + 1)
end

function request()
  n = n + 1
  local headers = {["User-Agent"] = agent}
  if person.cookie then headers["Cookie"] = "session=" .. person.cookie end
  if scenario == "hello" then return wrk.format("GET", "/hello", headers) end
  if scenario == "floor" then return wrk.format("GET", "/healthz", headers) end
  if scenario == "home" then return wrk.format("GET", "/trainee/", headers) end
  if scenario == "dashboard" then return wrk.format("GET", "/supervisor/", headers) end
  if scenario == "question" then return wrk.format("GET", question_path(), headers) end
  -- save: the page script's JSON path; each lap of the attempt changes every answer
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Accept"] = "application/json"
  headers["X-CSRFToken"] = person.csrf
  local answer = math.floor((n - 1) / %(questions)d) %% 2
  return wrk.format("POST", question_path(), headers, "answer=" .. answer)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do not_ok = not_ok + thread:get("bad") end
  local e = summary.errors
  io.write("RESULT " .. string.format(
    '{"requests": %%d, "seconds": %%.3f, "p50": %%.3f, "p95": %%.3f, "p99": %%.3f, "errors": %%d}',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    not_ok + e.connect + e.read + e.write + e.timeout) .. "\\n")
end
"""


def _lua_table(people_: list[dict]) -> str:
    def value(v) -> str:
        return str(v) if isinstance(v, int) else json.dumps(v)

    return "{" + ", ".join("{" + ", ".join(f"{k} = {value(v)}" for k, v in p.items()) + "}" for p in people_) + "}"


def run(base: str, scenario: str, users: int, seconds: int, first_trainee: int, warmup: int = 2) -> dict:
    """One closed-loop measurement; a row shaped like locust's stats rows, for the results table."""
    crowd = people(base, scenario, users, first_trainee)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "people.lua")
        script.write_text(
            SCRIPT % {"people": _lua_table(crowd), "scenario": scenario, "agent": USER_AGENT, "questions": QUESTIONS}
        )
        command = ["wrk", "--threads", str(users), "--connections", str(users), "--script", str(script)]
        if warmup:
            subprocess.run([*command, "--duration", f"{warmup}s", base], capture_output=True, timeout=warmup + 60)
            # wrk stops with about one request per connection still in flight; gunicorn would serve
            # them into the measurement window. Let them drain first.
            time.sleep(DRAIN_SECONDS)
        done = subprocess.run(
            [*command, "--duration", f"{seconds}s", "--timeout", "10s", base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    return {
        "Request Count": str(result["requests"]),
        "Failure Count": str(result["errors"]),
        "Requests/s": str(result["requests"] / result["seconds"]),
        "50%": f"{result['p50']:.3g}",
        "95%": f"{result['p95']:.3g}",
        "99%": f"{result['p99']:.3g}",
    }
