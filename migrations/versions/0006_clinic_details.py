"""clinic time zone, certificate signatory and logo; registration numbers; the login before this one

Revision ID: 0006_clinic_details
Revises: 0005_sessions_and_limits
Create Date: 2026-11-30 11:30:00

- clinic.timezone: times are stored in UTC and shown in the clinic's zone.
- clinic.signatory_name / signatory_title / logo / logo_mime: what a clinic prints on its certificates.
- user_account.registration_number: optional professional registration, printed on the certificate.
- user_account.previous_login_at: "since your last visit" notices count from the login before this one.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_clinic_details'
down_revision = '0005_sessions_and_limits'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('signatory_title', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_mime', sa.String(length=32), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('registration_number', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('registration_number')
        batch_op.drop_column('previous_login_at')
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('logo_mime')
        batch_op.drop_column('logo')
        batch_op.drop_column('signatory_title')
        batch_op.drop_column('signatory_name')
        batch_op.drop_column('timezone')
