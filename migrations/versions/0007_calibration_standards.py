"""Rasch calibrations, Angoff ratings and adopted pass marks

Revision ID: 0007_calibration_standards
Revises: 0006_clinic_details
Create Date: 2026-11-30 12:00:00

- calibration_run / item_calibration: the latest Rasch calibration of a bank per scope (one
  clinic, or every clinic when clinic_id is NULL: partial unique indexes, one run per scope), with
  each question revision's difficulty, standard error and infit/outfit.
- angoff_rating: a rater's modified-Angoff judgement of a question revision (percent).
- pass_mark_adoption: a standard-setting recommendation an admin adopted for a clinic's
  programme, with the ratings it rested on copied in.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_calibration_standards'
down_revision = '0006_clinic_details'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calibration_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('extreme_persons', sa.Integer(), nullable=False),
    sa.Column('iterations', sa.Integer(), nullable=False),
    sa.Column('converged', sa.Boolean(), nullable=False),
    sa.Column('ability_mean', sa.Double(), nullable=True),
    sa.Column('ability_sd', sa.Double(), nullable=True),
    sa.Column('separation_reliability', sa.Double(), nullable=True),
    sa.Column('pass_mark', sa.Integer(), nullable=True),
    sa.Column('sem', sa.Double(), nullable=True),
    sa.Column('consistency', sa.Double(), nullable=True),
    sa.Column('kappa', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_calibration_run_bank_id_bank'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_calibration_run_clinic_id_clinic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_run'))
    )
    with op.batch_alter_table('calibration_run', schema=None) as batch_op:
        batch_op.create_index('uq_calibration_run_clinic', ['bank_id', 'clinic_id'], unique=True, sqlite_where=sa.text('clinic_id IS NOT NULL'), postgresql_where=sa.text('clinic_id IS NOT NULL'))
        batch_op.create_index('uq_calibration_run_everywhere', ['bank_id'], unique=True, sqlite_where=sa.text('clinic_id IS NULL'), postgresql_where=sa.text('clinic_id IS NULL'))

    op.create_table('pass_mark_adoption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', sa.DateTime(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('previous_mark', sa.Integer(), nullable=True),
    sa.Column('cut_score', sa.Double(), nullable=False),
    sa.Column('raters', sa.Integer(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.CheckConstraint('pass_mark BETWEEN 1 AND 100', name=op.f('ck_pass_mark_adoption_adopted_mark_percent')),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['user_account.id'], name=op.f('fk_pass_mark_adoption_adopted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_pass_mark_adoption_bank_id_bank'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_pass_mark_adoption_clinic_id_clinic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_mark_adoption'))
    )
    with op.batch_alter_table('pass_mark_adoption', schema=None) as batch_op:
        batch_op.create_index('ix_pass_mark_adoption_clinic_bank', ['clinic_id', 'bank_id'], unique=False)

    op.create_table('angoff_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_angoff_rating_probability_percent')),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_angoff_rating_bank_id_bank'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_angoff_rating_clinic_id_clinic'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['user_account.id'], name=op.f('fk_angoff_rating_rater_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['question_revision.id'], name=op.f('fk_angoff_rating_revision_id_question_revision'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_angoff_rating')),
    sa.UniqueConstraint('rater_id', 'revision_id', name=op.f('uq_angoff_rating_rater_id_revision_id'))
    )
    with op.batch_alter_table('angoff_rating', schema=None) as batch_op:
        batch_op.create_index('ix_angoff_rating_bank_clinic', ['bank_id', 'clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_angoff_rating_revision_id'), ['revision_id'], unique=False)

    op.create_table('item_calibration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('difficulty', sa.Double(), nullable=True),
    sa.Column('se', sa.Double(), nullable=True),
    sa.Column('infit', sa.Double(), nullable=True),
    sa.Column('outfit', sa.Double(), nullable=True),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['question_revision.id'], name=op.f('fk_item_calibration_revision_id_question_revision'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['calibration_run.id'], name=op.f('fk_item_calibration_run_id_calibration_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_calibration')),
    sa.UniqueConstraint('run_id', 'revision_id', name=op.f('uq_item_calibration_run_id_revision_id'))
    )
    with op.batch_alter_table('item_calibration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_calibration_revision_id'), ['revision_id'], unique=False)



def downgrade():
    with op.batch_alter_table('item_calibration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_calibration_revision_id'))

    op.drop_table('item_calibration')
    with op.batch_alter_table('angoff_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_angoff_rating_revision_id'))
        batch_op.drop_index('ix_angoff_rating_bank_clinic')

    op.drop_table('angoff_rating')
    with op.batch_alter_table('pass_mark_adoption', schema=None) as batch_op:
        batch_op.drop_index('ix_pass_mark_adoption_clinic_bank')

    op.drop_table('pass_mark_adoption')
    with op.batch_alter_table('calibration_run', schema=None) as batch_op:
        batch_op.drop_index('uq_calibration_run_everywhere', sqlite_where=sa.text('clinic_id IS NULL'), postgresql_where=sa.text('clinic_id IS NULL'))
        batch_op.drop_index('uq_calibration_run_clinic', sqlite_where=sa.text('clinic_id IS NOT NULL'), postgresql_where=sa.text('clinic_id IS NOT NULL'))

    op.drop_table('calibration_run')
