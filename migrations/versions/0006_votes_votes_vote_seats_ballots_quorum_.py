"""votes: votes, vote seats, ballots, quorum, agenda outcome

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-24 15:10:41.449200

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('in_meeting', 'electronic', 'written', name='votemethod', native_enum=False, length=20), nullable=False),
    sa.Column('majority', sa.Enum('simple', 'two_thirds', 'unanimity', name='majority', native_enum=False, length=20), nullable=False),
    sa.Column('abstentions_in_base', sa.Boolean(), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('quorum_numerator', sa.Integer(), nullable=False),
    sa.Column('quorum_denominator', sa.Integer(), nullable=False),
    sa.Column('quorum_at_least', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('open', 'tied', 'closed', 'cancelled', name='votestate', native_enum=False, length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('entitled_count', sa.Integer(), nullable=False),
    sa.Column('yes_count', sa.Integer(), nullable=True),
    sa.Column('no_count', sa.Integer(), nullable=True),
    sa.Column('abstain_count', sa.Integer(), nullable=True),
    sa.Column('present_count', sa.Integer(), nullable=True),
    sa.Column('base', sa.Integer(), nullable=True),
    sa.Column('quorum_met', sa.Boolean(), nullable=True),
    sa.Column('outcome', sa.Enum('adopted', 'rejected', 'no_quorum', name='voteoutcome', native_enum=False, length=20), nullable=True),
    sa.Column('casting_vote', sa.Enum('yes', 'no', 'abstain', name='choice', native_enum=False, length=20), nullable=True),
    sa.Column('casting_by_id', sa.Integer(), nullable=True),
    sa.Column('casting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tallied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_votes_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['casting_by_id'], ['users.id'], name=op.f('fk_votes_casting_by_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_votes_closed_by_id_users')),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_votes_committee_id_committees')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_votes_opened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_closes_at'), ['closes_at'], unique=False)
        batch_op.create_index('ix_votes_committee_state', ['committee_id', 'state'], unique=False)
        batch_op.create_index('uq_votes_live_item', ['agenda_item_id'], unique=True, sqlite_where=sa.text("state IN ('open', 'tied')"), postgresql_where=sa.text("state IN ('open', 'tied')"))

    op.create_table('vote_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_vote_seats_membership_id_memberships')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_seats_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_seats')),
    sa.UniqueConstraint('vote_id', 'membership_id', name=op.f('uq_vote_seats_vote_id_membership_id'))
    )
    with op.batch_alter_table('vote_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_seats_membership_id'), ['membership_id'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('yes', 'no', 'abstain', name='choice', native_enum=False, length=20), nullable=True),
    sa.Column('cast_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_secretariat', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cast_by_id'], ['users.id'], name=op.f('fk_ballots_cast_by_id_users')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_ballots_membership_id_memberships')),
    sa.ForeignKeyConstraint(['vote_id', 'membership_id'], ['vote_seats.vote_id', 'vote_seats.membership_id'], name=op.f('fk_ballots_vote_id_vote_seats')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballots_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('vote_id', 'membership_id', name=op.f('uq_ballots_vote_id_membership_id'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.Enum('adopted', 'rejected', 'continued', 'noted', name='agendaoutcome', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quorum_numerator', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('quorum_denominator', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('quorum_at_least', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))



def downgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('quorum_at_least')
        batch_op.drop_column('quorum_denominator')
        batch_op.drop_column('quorum_numerator')

    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('decided_at')
        batch_op.drop_column('outcome')

    op.drop_table('ballots')
    with op.batch_alter_table('vote_seats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_seats_membership_id'))

    op.drop_table('vote_seats')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('uq_votes_live_item', sqlite_where=sa.text("state IN ('open', 'tied')"), postgresql_where=sa.text("state IN ('open', 'tied')"))
        batch_op.drop_index('ix_votes_committee_state')
        batch_op.drop_index(batch_op.f('ix_votes_closes_at'))
        batch_op.drop_index(batch_op.f('ix_votes_agenda_item_id'))

    op.drop_table('votes')
