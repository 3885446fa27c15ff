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
