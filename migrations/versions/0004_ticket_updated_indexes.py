"""tickets: list indexes for the updated_at sorts

(template, updated_at DESC, id DESC) and (updated_at DESC, id DESC), declared in
app/tickets/models.py. On PostgreSQL they are built CONCURRENTLY outside the migration's
transaction, so a large ticket table keeps taking inserts and updates meanwhile.

Revision ID: 30caf534fae4
Revises: f90568fbf564
Create Date: 2026-11-22 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '30caf534fae4'
down_revision = 'f90568fbf564'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_ticket_template_updated': ['template'],
    'ix_ticket_updated': [],
}


def upgrade():
    with op.get_context().autocommit_block():
        for name, lead in INDEXES.items():
            op.create_index(
                name,
                'ticket',
                [*lead, sa.literal_column('updated_at').desc(), sa.literal_column('id').desc()],
                unique=False,
                postgresql_concurrently=True,
            )


def downgrade():
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.drop_index(name, table_name='ticket', postgresql_concurrently=True)
