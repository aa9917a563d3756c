"""meeting day (会議進行): live version, current item, screen link generation, item start times, 挙手

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_version', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('current_item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('screen_generation', sa.Integer(), server_default=sa.text('0'), nullable=False))
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'speaker_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('agenda_item_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lowered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('called_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ),
        sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], ),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], ),
        sa.ForeignKeyConstraint(['called_by_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('speaker_requests', schema=None) as batch_op:
        batch_op.create_index('ix_speaker_requests_meeting_id', ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('speaker_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_speaker_requests_meeting_id')
    op.drop_table('speaker_requests')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('started_at')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('screen_generation')
        batch_op.drop_column('current_item_id')
        batch_op.drop_column('live_version')
