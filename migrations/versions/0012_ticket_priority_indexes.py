"""tickets: list indexes for the priority sorts (`?sort=priority` / `-priority`)

(template, priority, created_at DESC, id DESC) and (priority, created_at DESC, id DESC),
declared in app/tickets/models.py. A page sorted by priority reads one range of them per
priority, newest first (app/tickets/query.py, `_priority_statement`): a template's list the
first, the lists across templates (departments, mine, all) the second. On PostgreSQL they are
built CONCURRENTLY outside the migration's transaction, so a large ticket table keeps taking
inserts and updates meanwhile.

Revision ID: d2f4a5b6c712
Revises: c1e3f4a5b611
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f4a5b6c712'
down_revision = 'c1e3f4a5b611'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_ticket_template_priority': ['template', 'priority'],
    'ix_ticket_priority': ['priority'],
}


def upgrade():
    with op.get_context().autocommit_block():
        for name, lead in INDEXES.items():
            op.create_index(
                name,
                'ticket',
                [*lead, sa.literal_column('created_at').desc(), sa.literal_column('id').desc()],
                unique=False,
                postgresql_concurrently=True,
            )


def downgrade():
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.drop_index(name, table_name='ticket', postgresql_concurrently=True)
