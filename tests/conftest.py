"""Fixtures: every database test runs twice, on SQLite and on PostgreSQL, schema built by migrations."""

from __future__ import annotations

import contextlib
import os
import re
import socket
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from quizapp import create_app
from quizapp.config import TestConfig
from quizapp.extensions import db, limiter

DATA = Path(__file__).parent / "data"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct-horse-battery"


def _postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


def _postgres_unavailable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure to connect means "no server answers"
        return f"no PostgreSQL answers at {url}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    url = _postgres_url()
    reason = _postgres_unavailable(url)
    if reason:
        print(f"\nSKIPPING the PostgreSQL leg: {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def migrated_app(database_url):
    """One app per backend, its schema built from empty by the Alembic migrations."""
    app = create_app({**_config(), "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _config() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def empty_database(app) -> None:
    """Delete every row of every table (fixtures of wider scope than a test call it too)."""
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))
        db.session.remove()
    limiter.reset()


@pytest.fixture
def app(migrated_app):
    """The app with an empty database."""
    empty_database(migrated_app)
    yield migrated_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly. Do not make client requests inside it."""
    with app.app_context():
        yield
        db.session.remove()


@contextlib.contextmanager
def recorded_statements(app, describe=lambda _cursor, statement: statement):
    """The SQL statements the app sends while the block runs (to count queries and writes), each
    as ``describe(driver cursor, statement)`` gives it."""
    seen: list = []

    def record(_conn, cursor, statement, *_rest):
        seen.append(describe(cursor, statement))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Browser:
    """A test client that logs in and posts forms with their CSRF token, like a person would."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post_form(self, page_url: str, data: dict, action: str | None = None, **kw):
        page = self.client.get(page_url)
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(action or page_url, data={**data, "csrf_token": token}, **kw)

    def login(self, email: str, password: str = PASSWORD):
        return self.post_form("/auth/login", {"email": email, "password": password})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def chromium():
    """One headless Debian Chromium per test (the browser tests skip themselves when it is missing)."""
    from playwright.sync_api import sync_playwright

    from .browser_support import launch

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Outbox:
    def __init__(self):
        self.messages = []


@pytest.fixture
def mailer(app):
    """An SMTP server on loopback that keeps what it receives (the app sends through smtplib as in production)."""
    from aiosmtpd.controller import Controller

    outbox = _Outbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            outbox.messages.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, PUBLIC_URL="https://nw.test")
    yield outbox
    controller.stop()
    app.config.update(MAIL_SERVER=None, PUBLIC_URL=None)


@pytest.fixture
def mail_server_down(app):
    """Mail configured, but nothing listens at the address: every send fails."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    yield
    app.config.update(MAIL_SERVER=None)
