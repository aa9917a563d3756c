"""committee public minutes (情報公開): publish on /public/, mask names, keep officers' names

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_minutes', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('public_mask_names', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.add_column(sa.Column('public_keep_officers', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('public_keep_officers')
        batch_op.drop_column('public_mask_names')
        batch_op.drop_column('public_minutes')
