"""Database set-up: SQLite gets WAL and foreign keys, so the embedded default behaves like a server.

PostgreSQL runs plain SELECTs outside a transaction block and opens the transaction at the
first statement that writes or locks. Under READ COMMITTED (the default, which the app uses)
every statement takes its own snapshot whether or not a BEGIN came first, so reads see exactly
what they saw before; everything from the first write to the commit is still one transaction.
What it saves is the BEGIN and ROLLBACK round trips of every read-only request, and with them
the per-connection prepared statements that each ROLLBACK made the driver forget (bench: the
question page went from 158 to about 220 requests/s, and PostgreSQL's CPU per page from 2.4
to 0.8 ms).

A server database also gets a liveness check on pooled connections that sat idle: a connection
the server or the network dropped while idle is replaced before a request uses it. A connection
checked out again within seconds is not pinged (a round trip per request costs about a tenth
of the question page's throughput); if the server went away in between, the request fails
with the 503 page and the pool is emptied, so the next one connects afresh.
"""

from __future__ import annotations

import re
import time

from flask import Flask
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from .extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A SELECT that locks rows needs the transaction that holds the locks.
_LOCKING_CLAUSE = re.compile(r"\bFOR\s+(?:UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


def needs_transaction(statement: str) -> bool:
    """Anything but a plain SELECT: writes, locking reads, DDL, savepoints."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return True
    # Runs before every statement: the substring test spares most SELECTs the slower regex.
    return "FOR" in statement.upper() and _LOCKING_CLAUSE.search(statement) is not None


def _begin_at_first_write(_connection, cursor, statement, _parameters, _context, _executemany) -> None:
    """The connection is in autocommit mode; open a transaction block before the first statement
    that needs one. The driver's commit() and rollback() then end it (and skip the round trip
    when no block was opened)."""
    driver_connection = cursor.connection
    if driver_connection.info.transaction_status != TransactionStatus.IDLE:
        return
    # A streamed result (yield_per) is a server-side cursor, which lives in a transaction block.
    if isinstance(cursor, ServerCursor) or needs_transaction(statement):
        driver_connection.execute("BEGIN")


def _watch_idle_connections(engine: Engine, idle_seconds: float) -> None:
    def fresh(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since", 0.0)
        if time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool discards this connection and takes another
            raise DisconnectionError("pooled connection is gone") from exc

    event.listen(engine, "connect", fresh)
    event.listen(engine, "checkin", fresh)
    event.listen(engine, "checkout", ping_if_idle)


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "isolation_level": "AUTOCOMMIT",  # transactions open at the first write: see above
        }
    db.init_app(app)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine, "before_cursor_execute", _begin_at_first_write)
            _watch_idle_connections(engine, float(app.config["DATABASE_IDLE_PING_SECONDS"]))
