"""attachments: the file's bytes in the database (bytea / blob), copied from UPLOAD_FOLDER

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04

Every web host then serves every file. Files found in this host's UPLOAD_FOLDER are copied into
the row; a row whose file is not here keeps content NULL and is still read from the folder
(liaison.domain.attachments.content_of), so the migration never fails on a missing file. The
files themselves are left in place: delete them once every host has run the migration.
"""
import re
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


def _upload_folder():
    try:
        from flask import current_app

        return Path(current_app.config["UPLOAD_FOLDER"])
    except (ImportError, RuntimeError, KeyError):  # alembic run outside the app: nothing to copy
        return None


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))

    folder = _upload_folder()
    if folder is None or not folder.is_dir():
        return
    attachments = sa.table('attachments', sa.column('id', sa.Integer), sa.column('stored_name', sa.String),
                           sa.column('content', sa.LargeBinary))
    connection = op.get_bind()
    rows = connection.execute(sa.select(attachments.c.id, attachments.c.stored_name)).all()
    for row_id, stored_name in rows:
        path = folder / (stored_name or "")
        if STORED_NAME.match(stored_name or "") and path.is_file():
            connection.execute(
                attachments.update().where(attachments.c.id == row_id).values(content=path.read_bytes())
            )


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('content')
