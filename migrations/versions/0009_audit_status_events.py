"""audit trail: an index for the latest event of a clinic that may change a certification status

Revision ID: 0009_audit_status_events
Revises: 0008_session_tally_indexes
Create Date: 2026-11-30 17:40:00

The dashboard's status cache is keyed, among other things, by the clinic's latest audited
event. Logins and password events change no status, yet they are most of the trail: every
login invalidated the clinic's cached statuses in every worker. The key now leaves them out,
and this partial index (clinic, id) over the other events gives the latest in one probe however
long the trail grows. The predicate is the one the query writes (quizapp.models.audit).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_audit_status_events'
down_revision = '0008_session_tally_indexes'
branch_labels = None
depends_on = None

NOT_SIGN_IN = (
    "kind NOT IN ('login.success', 'password.changed', 'password.reset_requested', "
    "'password.reset_completed', 'password.reset_by_admin')"
)


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(
            'ix_audit_event_clinic_status_events',
            ['clinic_id', 'id'],
            unique=False,
            sqlite_where=sa.text(NOT_SIGN_IN),
            postgresql_where=sa.text(NOT_SIGN_IN),
        )


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_clinic_status_events')
