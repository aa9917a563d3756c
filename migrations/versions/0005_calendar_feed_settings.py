"""calendar feed settings: include deadlines, and when the settings last changed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 15:18:19.360857

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_include_deadlines', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('feed_updated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('feed_updated_at')
        batch_op.drop_column('feed_include_deadlines')
