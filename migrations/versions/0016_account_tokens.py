"""account tokens: invitation, password reset and e-mail confirmation links (only a nonce is stored)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

import liaison.models.types


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invitation', 'password_reset', 'email_change', name='tokenpurpose',
                                 native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('password_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', liaison.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', liaison.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', liaison.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_account_tokens_user_purpose', ['user_id', 'purpose'], unique=False)


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_account_tokens_user_purpose')
    op.drop_table('account_tokens')
