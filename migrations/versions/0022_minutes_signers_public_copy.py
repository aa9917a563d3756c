"""議事録署名人 (committee setting, minutes_signers) and the public 会議録 copy of published minutes versions

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-04

The public copy (masked facts/texts/approval line, masked text, its normalised search key) is filled for the
published version of every published minutes, with the masking of liaison.domain.public (`mask`, a pure
function given plain rows), so /public/ pages never mask at request time. Rows are read and written with
explicit columns, so later changes to the models do not break this data step.
"""
import json
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_signers', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('minutes_signer_members', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('signers_before_approval', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_copy', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('public_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('public_search_key', sa.Text(), nullable=True))
    op.create_table(
        'minutes_signers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('minutes_id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_chair', sa.Boolean(), nullable=False),
        sa.Column('named_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('named_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_version', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], ),
        sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], ),
        sa.ForeignKeyConstraint(['named_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('minutes_id', 'membership_id'),
    )
    with op.batch_alter_table('minutes_signers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_signers_minutes_id'), ['minutes_id'], unique=False)
    _fill_public_copies()


def _fill_public_copies():
    from liaison.domain import public

    bind = op.get_bind()
    versions = sa.table('minutes_versions', sa.column('id', sa.Integer), sa.column('minutes_id', sa.Integer),
                        sa.column('number', sa.Integer), sa.column('facts', sa.JSON), sa.column('texts', sa.JSON),
                        sa.column('approved_at', sa.DateTime(timezone=True)), sa.column('approved_by_id', sa.Integer),
                        sa.column('approver_role', sa.String), sa.column('public_copy', sa.JSON),
                        sa.column('public_text', sa.Text), sa.column('public_search_key', sa.Text))
    minutes = sa.table('minutes', sa.column('id', sa.Integer), sa.column('meeting_id', sa.Integer),
                       sa.column('status', sa.String), sa.column('published_version', sa.Integer))
    meetings = sa.table('meetings', sa.column('id', sa.Integer), sa.column('committee_id', sa.Integer))
    committees = sa.table('committees', sa.column('id', sa.Integer), sa.column('name', sa.String),
                          sa.column('parent_id', sa.Integer), sa.column('public_mask_names', sa.Boolean),
                          sa.column('public_keep_officers', sa.Boolean))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String))
    rows = bind.execute(
        sa.select(versions.c.id, versions.c.facts, versions.c.texts, versions.c.approved_at, versions.c.approver_role,
                  users.c.name.label('approver'), committees.c.name.label('committee'), committees.c.parent_id,
                  committees.c.public_mask_names, committees.c.public_keep_officers)
        .select_from(versions)
        .join(minutes, sa.and_(minutes.c.id == versions.c.minutes_id, minutes.c.published_version == versions.c.number))
        .join(meetings, meetings.c.id == minutes.c.meeting_id)
        .join(committees, committees.c.id == meetings.c.committee_id)
        .outerjoin(users, users.c.id == versions.c.approved_by_id)
        .where(minutes.c.status == 'published')
    ).all()
    for row in rows:
        facts = json.loads(row.facts) if isinstance(row.facts, str) else row.facts
        texts = json.loads(row.texts) if isinstance(row.texts, str) else row.texts
        committee = SimpleNamespace(name=row.committee, parent_id=row.parent_id, public_mask_names=row.public_mask_names,
                                    public_keep_officers=row.public_keep_officers)
        version = SimpleNamespace(facts=facts, texts=texts or {}, approved_at=row.approved_at,
                                  approver_role=row.approver_role or "")
        values: dict = {}
        public.fill_copy(values, public.mask(committee, version, row.approver or ""))
        bind.execute(versions.update().where(versions.c.id == row.id).values(**values))


def downgrade():
    with op.batch_alter_table('minutes_signers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_signers_minutes_id'))
    op.drop_table('minutes_signers')
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.drop_column('public_search_key')
        batch_op.drop_column('public_text')
        batch_op.drop_column('public_copy')
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('signers_before_approval')
        batch_op.drop_column('minutes_signer_members')
        batch_op.drop_column('minutes_signers')
