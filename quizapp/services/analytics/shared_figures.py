"""Derived figures computed by one worker, read by the others.

Each gunicorn worker keeps the dashboard's figures in its own memory; on a miss there it looks
here before evaluating the clinic again, so a change costs one evaluation per clinic rather than
one per worker (the first view in each worker was the slow one). One row per clinic holds the
latest figures with a digest of the fingerprint they were computed for, and serves only that
fingerprint. The payload is a pickle signed with the app's secret key: only bytes this app
wrote are ever unpickled. Deleting rows loses nothing.
"""

from __future__ import annotations

import hashlib
import logging
import pickle

from flask import current_app
from itsdangerous import BadSignature, Signer
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from ...models import SharedClinicFigures, utcnow

log = logging.getLogger(__name__)
TABLE = SharedClinicFigures.__table__
_READ = select(TABLE.c.fingerprint, TABLE.c.payload).where(TABLE.c.clinic_id == bindparam("clinic_id"))


def digest(key: tuple) -> str:
    """A fixed-size stand-in for a fingerprint tuple (dates, counts, timestamps)."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="shared-clinic-figures", digest_method=hashlib.sha256)


def load(clinic_id: int, key: tuple):
    """The figures stored for ``key``, or None (none stored, another key's, or not signed by us)."""
    row = db.session.execute(_READ, {"clinic_id": clinic_id}).first()
    if row is None or row.fingerprint != digest(key):
        return None
    try:
        return pickle.loads(_signer().unsign(row.payload))
    except BadSignature:
        log.warning("shared figures of clinic %s carry a bad signature; computing them again", clinic_id)
        return None


def store(clinic_id: int, key: tuple, figures) -> None:
    """Replace the clinic's row, on a connection of its own: the request's transaction is not
    touched, and a failure here costs other workers a recomputation, never this page."""
    payload = _signer().sign(pickle.dumps(figures, protocol=pickle.HIGHEST_PROTOCOL))
    engine = db.engine
    insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(TABLE)
    statement = insert.values(
        clinic_id=clinic_id, fingerprint=digest(key), payload=payload, computed_at=utcnow()
    ).on_conflict_do_update(
        index_elements=[TABLE.c.clinic_id],
        set_={name: insert.excluded[name] for name in ("fingerprint", "payload", "computed_at")},
    )
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError:
        log.warning("could not share the figures of clinic %s", clinic_id, exc_info=True)
