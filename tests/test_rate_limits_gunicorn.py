"""Rate limits hold across gunicorn workers: the set-up `make run` gives (the database) and Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from .conftest import free_port
from .test_faults import ROOT, Http, serve

LIMIT = 5
TRIES = 14


def _redis_unavailable() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return None
    except OSError as exc:
        return f"no Redis answers at 127.0.0.1:6379 ({exc.__class__.__name__})"


def _postgres_url() -> str | None:
    from .conftest import _postgres_unavailable, _postgres_url

    url = _postgres_url()
    return None if _postgres_unavailable(url) else url


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="gunicorn is installed by make test")
@pytest.mark.parametrize("storage", ["database-sqlite", "database-postgresql", "redis"])
def test_login_limit_holds_across_two_workers(tmp_path, storage):
    """Fourteen failed logins from one address to 2 workers: exactly 5 answered 401, the rest 429."""
    env = {
        **os.environ,
        "SECRET_KEY": "limit-test",
        "FLASK_APP": "quizapp",
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "ACCOUNT_LOGIN_RATE_LIMIT": "1000 per minute",
        "ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT": "1000 per minute",
        "WEB_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    if storage == "database-sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'limits.db'}"
    elif storage == "database-postgresql":
        url = _postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL answers")
        env["DATABASE_URL"] = url
    else:
        reason = _redis_unavailable()
        if reason:
            print(f"\nSKIPPING the Redis leg: {reason}")
            pytest.skip(reason)
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'limits.db'}"
        env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], capture_output=True, timeout=10)
    subprocess.run([str(ROOT / ".venv/bin/flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    if storage == "database-postgresql":  # the suite's database: clear counters an earlier run left
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM rate_limit_counter"))
        engine.dispose()

    port = free_port()
    server = serve(env, port)
    try:
        codes = []
        for n in range(TRIES):
            web = Http(f"http://127.0.0.1:{port}")  # a new connection each time: both workers answer
            status, _, body = web.form("/auth/login", {"email": f"nobody{n}@x.test", "password": "wrong-password"})
            codes.append(status)
            if status == 429:
                assert "Too many login attempts" in body
        assert codes.count(401) == LIMIT, codes
        assert codes[LIMIT:] == [429] * (TRIES - LIMIT), codes
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
