"""api tokens: personal access tokens for the JSON API (only a SHA-256 digest is stored)

Revision ID: 0023
Revises: 0026
Create Date: 2026-12-05

"""
from alembic import op
import sqlalchemy as sa

import liaison.models.types


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Enum('read', 'write', name='tokenscope', native_enum=False, create_constraint=False,
                               length=10), nullable=False),
    sa.Column('created_at', liaison.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', liaison.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', liaison.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', liaison.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
