"""supervised sessions: indexes for certification status (counts, and the sign-off that met a minimum)

Revision ID: 0008_session_tally_indexes
Revises: 0007_calibration_standards
Create Date: 2026-11-30 17:20:00

Evaluating a clinic's trainees counts their sessions by status and region, and finds, per
trainee, the sign-off at which the programme's minimum was reached. Without an index that
holds status and region, PostgreSQL read every clinic's sessions for both (bench database,
25,000 sessions, a 200-trainee clinic: 4.3 and 8.4 ms). With these, both read only the
clinic's trainees' entries: the counts by an index-only scan (1.7 ms), and the Nth sign-off
by one short walk of the partial index per trainee (1.5 ms).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_session_tally_indexes'
down_revision = '0007_calibration_standards'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supervised_session', schema=None) as batch_op:
        batch_op.create_index('ix_supervised_session_tally', ['trainee_id', 'status', 'region'], unique=False)
        batch_op.create_index(
            'ix_supervised_session_sign_off_order',
            ['trainee_id', 'reviewed_at', 'session_date', 'id'],
            unique=False,
            postgresql_include=['region'],
            sqlite_where=sa.text("status = 'signed_off'"),
            postgresql_where=sa.text("status = 'signed_off'"),
        )


def downgrade():
    with op.batch_alter_table('supervised_session', schema=None) as batch_op:
        batch_op.drop_index('ix_supervised_session_sign_off_order')
        batch_op.drop_index('ix_supervised_session_tally')
