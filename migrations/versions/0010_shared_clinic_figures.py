"""dashboard: the figures one worker computed for a clinic, shared with the other workers

Revision ID: 0010_shared_clinic_figures
Revises: 0009_audit_status_events
Create Date: 2026-11-30 21:00:00

Each worker kept the dashboard's derived figures (statuses, best scores) only in its own
memory, so after any change every worker evaluated the clinic again on its next view. One row
per clinic now holds the latest figures with the fingerprint they were computed for; a worker
that misses in memory reads them here. Derived data only: deleting rows loses nothing.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_shared_clinic_figures'
down_revision = '0009_audit_status_events'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'shared_clinic_figures',
        sa.Column('clinic_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_shared_clinic_figures_clinic_id_clinic'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('clinic_id', name=op.f('pk_shared_clinic_figures')),
    )


def downgrade():
    op.drop_table('shared_clinic_figures')
