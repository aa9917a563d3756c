"""proposals, revisions, comments; proposal links on agenda items and attachments

Agenda items and attachments get a nullable proposal_id: an item discusses a proposal, a file
belongs to one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:17:31.968521

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('plan_policy_id', sa.Integer(), nullable=False),
    sa.Column('desired_meeting_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'accepted', 'on_agenda', 'adopted', 'rejected', 'continued', 'withdrawn', name='proposalstatus', native_enum=False, length=20), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_proposals_body_id_bodies')),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_proposals_committee_id_committees')),
    sa.ForeignKeyConstraint(['desired_meeting_id'], ['meetings.id'], name=op.f('fk_proposals_desired_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['plan_policy_id'], ['plan_policies.id'], name=op.f('fk_proposals_plan_policy_id_plan_policies')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_proposals_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('committee_id', 'fiscal_year', 'serial', name=op.f('uq_proposals_committee_id_fiscal_year_serial')),
    sa.UniqueConstraint('number', name=op.f('uq_proposals_number'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_proposals_committee_status', ['committee_id', 'status'], unique=False)
        batch_op.create_index('ix_proposals_fiscal_year_policy', ['fiscal_year', 'plan_policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_status'), ['status'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_comments_author_id_users')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_proposal_comments_deleted_by_id_users')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_comments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'accepted', 'on_agenda', 'adopted', 'rejected', 'continued', 'withdrawn', name='proposalstatus', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('plan_policy_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_revisions_author_id_users')),
    sa.ForeignKeyConstraint(['plan_policy_id'], ['plan_policies.id'], name=op.f('fk_proposal_revisions_plan_policy_id_plan_policies')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_revisions_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_revisions')),
    sa.UniqueConstraint('proposal_id', 'number', name=op.f('uq_proposal_revisions_proposal_id_number'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agenda_items_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agenda_items_proposal_id_proposals'), 'proposals', ['proposal_id'], ['id'])

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachments_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachments_proposal_id_proposals'), 'proposals', ['proposal_id'], ['id'])



def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachments_proposal_id_proposals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachments_proposal_id'))
        batch_op.drop_column('proposal_id')

    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agenda_items_proposal_id_proposals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agenda_items_proposal_id'))
        batch_op.drop_column('proposal_id')

    op.drop_table('proposal_revisions')
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))

    op.drop_table('proposal_comments')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_status'))
        batch_op.drop_index('ix_proposals_fiscal_year_policy')
        batch_op.drop_index('ix_proposals_committee_status')
        batch_op.drop_index(batch_op.f('ix_proposals_body_id'))

    op.drop_table('proposals')
