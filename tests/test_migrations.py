"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect as sa_inspect

from quizapp.extensions import db


def test_migrations_match_models(app):
    """After `flask db upgrade` from empty, autogenerate finds nothing left to do."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    """The embedded default behaves: WAL journal and enforced foreign keys."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert db.engine.dialect.name == "postgresql"
            return
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_supervised_sessions_are_indexed_for_the_dashboard(app):
    """One index by trainee and time; on PostgreSQL it also carries what the dashboard's status
    fingerprint reads, so both of its session queries are index-only scans."""
    with app.app_context(), db.engine.connect() as conn:
        indexes = {ix["name"]: ix for ix in sa_inspect(conn).get_indexes("supervised_session")}
        assert indexes["ix_supervised_session_trainee_activity"]["column_names"] == ["trainee_id", "created_at"]
        assert "ix_supervised_session_trainee_id" not in indexes  # the composite one leads with trainee_id
        if db.engine.dialect.name == "postgresql":
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_supervised_session_trainee_activity'"
            ).scalar()
            assert definition.endswith("INCLUDE (id, reviewed_at)")


def test_certification_status_reads_sessions_through_indexes(app):
    """Counting a trainee's sessions by status and region, and finding the sign-off that met a
    minimum, each have an index leading with the trainee; the sign-off one holds only signed-off
    sessions, in sign-off order."""
    with app.app_context(), db.engine.connect() as conn:
        indexes = {ix["name"]: ix for ix in sa_inspect(conn).get_indexes("supervised_session")}
        assert indexes["ix_supervised_session_tally"]["column_names"] == ["trainee_id", "status", "region"]
        order = indexes["ix_supervised_session_sign_off_order"]
        assert order["column_names"][:4] == ["trainee_id", "reviewed_at", "session_date", "id"]
        if db.engine.dialect.name == "postgresql":
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_supervised_session_sign_off_order'"
            ).scalar()
            assert definition.endswith("INCLUDE (region) WHERE ((status)::text = 'signed_off'::text)"), definition


def test_the_latest_status_event_of_a_clinic_has_its_own_index(app):
    """The dashboard's cache key reads a clinic's latest audited event that is not a login or a
    password event; the partial index has exactly the predicate the query writes."""
    from quizapp.models.audit import SIGN_IN_KINDS

    with app.app_context(), db.engine.connect() as conn:
        indexes = {ix["name"]: ix for ix in sa_inspect(conn).get_indexes("audit_event")}
        assert indexes["ix_audit_event_clinic_status_events"]["column_names"] == ["clinic_id", "id"]
        if db.engine.dialect.name == "postgresql":
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_audit_event_clinic_status_events'"
            ).scalar()
        else:
            definition = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_audit_event_clinic_status_events'"
            ).scalar()
        assert all(f"'{kind}'" in definition for kind in SIGN_IN_KINDS), definition
