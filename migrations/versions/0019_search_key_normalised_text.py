"""search_key: the searchable text normalised (NFKC + case folding), pg_trgm GIN indexed on PostgreSQL

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-04

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def _normalise(text):
    # A frozen copy of liaison.textsearch.normalise: migrations don't import the application.
    return unicodedata.normalize("NFKC", text or "").casefold()


def _backfill(connection, table, columns):
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column('search_key', sa.Text),
                    *(sa.column(name, sa.Text) for name in columns))
    for row in connection.execute(sa.select(rows.c.id, *(rows.c[name] for name in columns))).all():
        key = _normalise("\n".join(getattr(row, name) or "" for name in columns))
        connection.execute(rows.update().where(rows.c.id == row.id).values(search_key=key))


def upgrade():
    connection = op.get_bind()
    postgresql = connection.dialect.name == 'postgresql'
    if postgresql:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for table, columns in (('proposals', ('title', 'summary', 'body')), ('minutes_versions', ('search_text',))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))
        _backfill(connection, table, columns)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('search_key', server_default=None)
        op.create_index(f'ix_{table}_search_key', table, ['search_key'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_key': 'gin_trgm_ops'})


def downgrade():
    # The extension stays: other database objects may use it, and it holds no data.
    for table in ('minutes_versions', 'proposals'):
        op.drop_index(f'ix_{table}_search_key', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('search_key')
