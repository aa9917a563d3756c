"""committee deadline reminders: days before the proposal, written-vote and minutes-review deadlines

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_reminder_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('vote_reminder_days', sa.String(length=40), server_default='2,0', nullable=False))
        batch_op.add_column(sa.Column('review_reminder_days', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('review_reminder_days')
        batch_op.drop_column('vote_reminder_days')
        batch_op.drop_column('proposal_reminder_days')
