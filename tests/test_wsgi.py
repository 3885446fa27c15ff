"""What every gunicorn worker loads: the app of ``wsgi.py``, without the tools it never uses."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str, tmp_path: Path) -> str:
    env = {**os.environ, "SECRET_KEY": "test-key", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_a_worker_leaves_migrations_and_pdf_tooling_unloaded(tmp_path):
    """Alembic (migrations run from the CLI) and reportlab (certificates, on first use) cost each
    worker about 18 MB; the web app starts without them."""
    code = "import sys, wsgi; print(sorted(m for m in ('alembic', 'flask_migrate', 'reportlab') if m in sys.modules))"
    assert _modules_after(code, tmp_path) == "[]"


def test_the_command_line_app_still_migrates(tmp_path):
    """`flask db upgrade` builds the app with the factory, which registers Flask-Migrate."""
    code = "from quizapp import create_app; print('migrate' in create_app().extensions)"
    assert _modules_after(code, tmp_path) == "True"


WORKER_DAY = r"""
import re, sys
import wsgi

def token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

def as_person(email):
    c = wsgi.app.test_client()
    page = c.get("/auth/login").get_data(as_text=True)
    assert c.post("/auth/login", data={"email": email, "password": "correct-horse-battery", "csrf_token": token(page)}).status_code == 302
    return c

t = as_person("t@x.test")
assert t.get("/trainee/").status_code == 200
page = t.get("/trainee/banks/tiny").get_data(as_text=True)
started = t.post("/trainee/banks/tiny/start", data={"csrf_token": token(page)})
question = started.headers["Location"]
attempt = int(re.search(r"/attempts/(\d+)/", question).group(1))
html = t.get(question).get_data(as_text=True)
saved = t.post(f"/trainee/attempts/{attempt}/questions/1", data={"answer": ["0"], "csrf_token": token(html)},
               headers={"Accept": "application/json"})
assert saved.status_code == 200, saved.status_code
finish = t.get(f"/trainee/attempts/{attempt}/finish").get_data(as_text=True)
assert t.post(f"/trainee/attempts/{attempt}/finish", data={"csrf_token": token(finish)}).status_code == 302
assert t.get(f"/trainee/attempts/{attempt}/review").status_code == 200
assert t.get("/trainee/").status_code == 200
s = as_person("sup@x.test")
assert s.get("/supervisor/").status_code == 200
print(sorted(m for m in ("numpy", "pydantic", "yaml", "alembic", "reportlab") if m in sys.modules))
"""


def test_a_workers_trainee_and_dashboard_requests_leave_numpy_and_the_bank_tools_unloaded(app, database_url, tmp_path):
    """A web worker that logs in, draws a form, saves, submits, reviews and shows the dashboard
    loads neither numpy (the Rasch fit and item statistics) nor the bank schema: about 29 MB each
    (bench/results.md, RSS per worker)."""
    from . import factories

    with app.app_context():
        factories.tiny_bank(tmp_path)
        factories.user("t@x.test")
        factories.user("sup@x.test", role="supervisor")
    env = {**os.environ, "SECRET_KEY": "test-key", "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-c", WORKER_DAY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_flask_commands_find_the_full_app_without_flask_app_set():
    """`.venv/bin/flask banks check ...` as the README types it: no FLASK_APP in the shell, so Flask
    would discover wsgi.py, which leaves the commands out; .flaskenv points it at the factory."""
    env = {k: v for k, v in os.environ.items() if k != "FLASK_APP"} | {"SECRET_KEY": "test-key"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "banks", "check", "tests/data/tiny_bank.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ok: tests/data/tiny_bank.yaml" in done.stdout


def test_the_instance_secret_is_read_when_no_key_is_exported(tmp_path):
    """`make run` keeps the key in instance/secret_key; commands typed after it use the same key."""
    from quizapp.config import instance_secret

    assert instance_secret(tmp_path / "missing") is None
    (tmp_path / "secret_key").write_text("0123abcd\n")
    assert instance_secret(tmp_path / "secret_key") == "0123abcd"


def test_a_worker_freezes_the_app_it_loaded_out_of_the_collectors_sight(tmp_path):
    """gunicorn.conf.py tunes the collector once the worker has imported the app (the order
    gunicorn follows: load the app, then post_worker_init): the app's long-lived objects are
    frozen, so a full collection walks only what requests leave behind, and young collections
    are rarer."""
    code = (
        "import gc, runpy; conf = runpy.run_path('gunicorn.conf.py'); import wsgi; "
        "before = gc.get_freeze_count(); conf['post_worker_init'](None); "
        "print(before, gc.get_freeze_count(), len(gc.get_objects()), gc.get_threshold()[0])"
    )
    before, frozen, tracked, young = (int(n) for n in _modules_after(code, tmp_path).split())
    assert before == 0 and frozen > 50_000, "the app's modules, mappings and templates are frozen"
    assert tracked < frozen / 20, f"{tracked} objects still tracked after the freeze, {frozen} frozen"
    assert young == 50_000
