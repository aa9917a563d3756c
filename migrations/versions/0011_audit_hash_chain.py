"""audit trail: committee of each row, and the hash chain (seq, prev_hash, row_hash); existing rows are chained

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Where an existing row's committee is found, by the table of its object.
COMMITTEE_OF = {
    'committees': "audit_events.object_id",
    'meetings': "(SELECT committee_id FROM meetings WHERE meetings.id = audit_events.object_id)",
    'proposals': "(SELECT committee_id FROM proposals WHERE proposals.id = audit_events.object_id)",
    'votes': "(SELECT committee_id FROM votes WHERE votes.id = audit_events.object_id)",
    'memberships': "(SELECT committee_id FROM memberships WHERE memberships.id = audit_events.object_id)",
    'agenda_items': "(SELECT m.committee_id FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id"
                    " WHERE i.id = audit_events.object_id)",
    'attendances': "(SELECT m.committee_id FROM attendances a JOIN meetings m ON m.id = a.meeting_id"
                   " WHERE a.id = audit_events.object_id)",
    'minutes': "(SELECT m.committee_id FROM minutes x JOIN meetings m ON m.id = x.meeting_id"
               " WHERE x.id = audit_events.object_id)",
    'ballots': "(SELECT v.committee_id FROM ballots b JOIN votes v ON v.id = b.vote_id WHERE b.id = audit_events.object_id)",
    'proposal_comments': "(SELECT p.committee_id FROM proposal_comments c JOIN proposals p ON p.id = c.proposal_id"
                         " WHERE c.id = audit_events.object_id)",
    'attachments': "(SELECT COALESCE(m.committee_id, p.committee_id) FROM attachments a"
                   " LEFT JOIN meetings m ON m.id = a.meeting_id LEFT JOIN proposals p ON p.id = a.proposal_id"
                   " WHERE a.id = audit_events.object_id)",
}


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_committee_id'), ['committee_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_committee_id_committees'), 'committees',
                                    ['committee_id'], ['id'])
    for object_type, expression in COMMITTEE_OF.items():
        op.execute(f"UPDATE audit_events SET committee_id = {expression} WHERE object_type = '{object_type}'")
    _chain_existing_rows()


def _chain_existing_rows():
    """Hash the rows written before the chain existed, in id order (the order they were written)."""
    from liaison.domain import audit_chain

    connection = op.get_bind()
    audit = sa.table(
        'audit_events', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
        sa.column('actor_id', sa.Integer), sa.column('action', sa.String), sa.column('object_type', sa.String),
        sa.column('object_id', sa.Integer), sa.column('object_label', sa.String), sa.column('committee_id', sa.Integer),
        sa.column('data', sa.JSON), sa.column('seq', sa.Integer), sa.column('prev_hash', sa.String),
        sa.column('row_hash', sa.String),
    )
    columns = [audit.c[name] for name in audit_chain.CONTENT_COLUMNS]
    last_id, seq, prev = 0, 0, audit_chain.GENESIS
    while True:
        rows = connection.execute(sa.select(*columns).where(audit.c.id > last_id).order_by(audit.c.id).limit(5000)).all()
        if not rows:
            break
        rows = [dict(row._mapping, at=_aware(row.at)) for row in rows]
        sealed = audit_chain.chain(rows, after_seq=seq, after_hash=prev)
        connection.execute(
            sa.update(audit).where(audit.c.id == sa.bindparam('row_id'))
            .values(seq=sa.bindparam('seq'), prev_hash=sa.bindparam('prev_hash'), row_hash=sa.bindparam('row_hash')),
            [dict(values, row_id=row['id']) for row, values in zip(rows, sealed)],
        )
        last_id, seq, prev = rows[-1]['id'], sealed[-1]['seq'], sealed[-1]['row_hash']


def _aware(value):
    """SQLite hands back the UTC time naive (or as text); PostgreSQL aware."""
    from datetime import datetime, timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_committee_id_committees'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_audit_events_committee_id'))
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('committee_id')
