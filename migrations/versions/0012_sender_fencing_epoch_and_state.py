"""sender fencing epoch and state: scheduler_leases.epoch/last_pass_at/last_sent_at/smtp_*, notifications.claim_epoch

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('smtp_down_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('smtp_retry_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('smtp_error', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_epoch', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('claim_epoch')
    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.drop_column('smtp_error')
        batch_op.drop_column('smtp_retry_at')
        batch_op.drop_column('smtp_down_since')
        batch_op.drop_column('last_sent_at')
        batch_op.drop_column('last_pass_at')
        batch_op.drop_column('epoch')
