"""minutes: minutes, versions, reviews, comments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'published', name='minutesstatus', native_enum=False, length=20), nullable=False),
    sa.Column('review_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_minutes_created_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_minutes_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_minutes_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_minutes_meeting_id'))
    )
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_minutes_status'), ['status'], unique=False)

    op.create_table('minutes_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approver_role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_minutes_versions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_minutes_versions_author_id_users')),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_versions_minutes_id_minutes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_versions')),
    sa.UniqueConstraint('minutes_id', 'number', name=op.f('uq_minutes_versions_minutes_id_number'))
    )
    op.create_table('minutes_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_minutes_comments_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_minutes_comments_membership_id_memberships')),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_comments_minutes_id_minutes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_minutes_comments_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['minutes_versions.id'], name=op.f('fk_minutes_comments_version_id_minutes_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_comments'))
    )
    with op.batch_alter_table('minutes_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_comments_minutes_id'), ['minutes_id'], unique=False)

    op.create_table('minutes_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_minutes_reviews_membership_id_memberships')),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_reviews_minutes_id_minutes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_minutes_reviews_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['minutes_versions.id'], name=op.f('fk_minutes_reviews_version_id_minutes_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_reviews')),
    sa.UniqueConstraint('version_id', 'membership_id', name=op.f('uq_minutes_reviews_version_id_membership_id'))
    )
    with op.batch_alter_table('minutes_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_reviews_minutes_id'), ['minutes_id'], unique=False)

    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agenda_items_minutes_id'), ['minutes_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agenda_items_minutes_id_minutes'), 'minutes', ['minutes_id'], ['id'])



def downgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agenda_items_minutes_id_minutes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agenda_items_minutes_id'))
        batch_op.drop_column('minutes_id')

    with op.batch_alter_table('minutes_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_reviews_minutes_id'))

    op.drop_table('minutes_reviews')
    with op.batch_alter_table('minutes_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_comments_minutes_id'))

    op.drop_table('minutes_comments')
    op.drop_table('minutes_versions')
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_status'))
        batch_op.drop_index(batch_op.f('ix_minutes_published_at'))

    op.drop_table('minutes')
