"""page_versions: a counter per table, raised by every commit that wrote it (the page cache's key)

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_versions',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('counter', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_page_versions')),
    )


def downgrade():
    op.drop_table('page_versions')
