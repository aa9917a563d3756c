"""meeting day: the 資料 the presenter shows to everyone (follow the presenter)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # No foreign key (as current_item_id): attachments already point at meetings; removing the presented 資料
    # clears it in the domain (meeting_agenda.remove_attachment), and live_state shows nothing for a missing one.
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.add_column(sa.Column('presented_attachment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('presented_page', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.drop_column('presented_page')
        batch_op.drop_column('presented_attachment_id')
