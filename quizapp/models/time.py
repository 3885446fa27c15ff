"""One clock for the whole app: naive UTC, the same on SQLite and PostgreSQL."""

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
