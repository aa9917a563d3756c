"""public minutes search: a pg_trgm GIN index on minutes_versions.public_search_key (PostgreSQL)

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-05

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # Like ix_minutes_versions_search_key (0019): GIN with gin_trgm_ops serves LIKE '%…%' on PostgreSQL;
    # SQLite makes it a plain index (unused by the search). pg_trgm was created by 0019.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_minutes_versions_public_search_key', 'minutes_versions', ['public_search_key'], unique=False,
                    postgresql_using='gin', postgresql_ops={'public_search_key': 'gin_trgm_ops'})


def downgrade():
    op.drop_index('ix_minutes_versions_public_search_key', table_name='minutes_versions')
