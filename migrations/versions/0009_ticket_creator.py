"""tickets remember who created them: the creator keeps read access wherever the ticket is
routed, and has a "Created by me" list

Existing tickets take the actor of their `created` event.

Revision ID: a9c1d2e3f409
Revises: e73b7997548e
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a9c1d2e3f409'
down_revision = 'e73b7997548e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_ticket_created_by_id_ab_user', 'ab_user', ['created_by_id'], ['id'],
            ondelete='SET NULL',
        )
    op.execute(
        "UPDATE ticket SET created_by_id = (SELECT e.actor_id FROM ticket_event e "
        "WHERE e.ticket_id = ticket.id AND e.kind = 'created' ORDER BY e.id LIMIT 1)"
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_creator_created',
            ['created_by_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_creator_created')
        batch_op.drop_constraint('fk_ticket_created_by_id_ab_user', type_='foreignkey')
        batch_op.drop_column('created_by_id')
