"""the sitting (開会・閉会), votes bound to it, the chair's rule, review rounds and approval reasons

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair_votes', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_closed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair_votes', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('presiding_membership_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_votes_presiding_membership_id_memberships'), 'memberships',
                                    ['presiding_membership_id'], ['id'])
    with op.batch_alter_table('vote_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('may_cast', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('admitted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('admit_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_vote_seats_admitted_by_id_users'), 'users', ['admitted_by_id'], ['id'])
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_round', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_reason', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('minutes_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint('uq_minutes_reviews_version_id_membership_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_minutes_reviews_version_id_round_membership_id'),
                                          ['version_id', 'round', 'membership_id'])
    # Reviews opened before this revision are round 1.
    op.execute("UPDATE minutes SET review_round = 1 WHERE review_opened_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('minutes_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_minutes_reviews_version_id_round_membership_id'), type_='unique')
        batch_op.create_unique_constraint('uq_minutes_reviews_version_id_membership_id', ['version_id', 'membership_id'])
        batch_op.drop_column('round')
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.drop_column('approval_reason')
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_column('review_round')
    with op.batch_alter_table('vote_seats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vote_seats_admitted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('admit_reason')
        batch_op.drop_column('admitted_by_id')
        batch_op.drop_column('admitted_at')
        batch_op.drop_column('may_cast')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_votes_presiding_membership_id_memberships'), type_='foreignkey')
        batch_op.drop_column('presiding_membership_id')
        batch_op.drop_column('chair_votes')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('session_closed_at')
        batch_op.drop_column('session_opened_at')
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('chair_votes')
