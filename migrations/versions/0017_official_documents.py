"""official documents: the committee's 文書番号 prefix, each convocation's 文書番号 (per fiscal year)

Revision ID: 0017
Revises: 0019
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_prefix', sa.String(length=40), server_default='', nullable=False))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('document_number', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_meetings_document_number',
                                          ['committee_id', 'document_year', 'document_number'])


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_meetings_document_number', type_='unique')
        batch_op.drop_column('document_number')
        batch_op.drop_column('document_year')
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('document_prefix')
