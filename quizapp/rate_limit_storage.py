"""A Flask-Limiter storage in the app's own database, so limits hold across gunicorn workers.

The limiter's built-in storages are per-process memory (each worker counts alone: a login limit
of 5 let 9 failures through with 2 workers) or servers that a new user would have to install
(Redis, Memcached, MongoDB). `make run` serves with several workers and SQLite, so the counters
live in the ``rate_limit_counter`` table: one atomic upsert per hit, on SQLite and PostgreSQL
alike. Production with Redis sets ``REDIS_URL`` and uses the limiter's Redis storage instead.

Only the fixed-window strategy (the limiter's default) is supported. The storage runs inside
requests and uses its own connection (``engine.begin()``), never the request's session, so a
rate-limit hit commits on its own and cannot be rolled back with the request's work.
"""

from __future__ import annotations

import random
import time

from limits.storage import Storage
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import RateLimitCounter

SCHEME = "database"
PURGE_CHANCE = 0.01  # a hit now and then deletes counters that expired a day ago
PURGE_AFTER = 86400

TABLE = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's window, starting a new window when the old one has expired."""
        now = time.time()
        engine = db.engine
        insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(TABLE)
        expired = TABLE.c.expires_at <= now
        statement = (
            insert.values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[TABLE.c.key],
                set_={
                    "count": _case(expired, amount, TABLE.c.count + amount),
                    "expires_at": _case(expired, now + expiry, TABLE.c.expires_at),
                },
            )
            .returning(TABLE.c.count)
        )
        with engine.begin() as conn:
            count = conn.execute(statement).scalar_one()
            if random.random() < PURGE_CHANCE:
                conn.execute(delete(TABLE).where(TABLE.c.expires_at < now - PURGE_AFTER))
        return count

    def get(self, key: str) -> int:
        with db.engine.connect() as conn:
            count = conn.execute(
                select(TABLE.c.count).where(TABLE.c.key == key, TABLE.c.expires_at > time.time())
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as conn:
            expires = conn.execute(select(TABLE.c.expires_at).where(TABLE.c.key == key)).scalar()
        return expires if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))


def _case(condition, when_true, otherwise):
    from sqlalchemy import case

    return case((condition, when_true), else_=otherwise)
