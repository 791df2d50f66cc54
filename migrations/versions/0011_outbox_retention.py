"""outbox: an index of done messages, for the retention purge (app/outbox/retention.py)

Partial (done messages only), so pending work is not indexed twice. On PostgreSQL it is built
CONCURRENTLY outside the migration's transaction: the outbox keeps taking writes meanwhile.

Revision ID: c1e3f4a5b611
Revises: b0d2e3f4a510
Create Date: 2026-12-07 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1e3f4a5b611'
down_revision = 'b0d2e3f4a510'
branch_labels = None
depends_on = None

INDEX = 'ix_outbox_done'
DONE = sa.text('done_at IS NOT NULL')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(
                INDEX, 'outbox', ['done_at'], unique=False,
                postgresql_where=DONE, postgresql_concurrently=True,
            )
    else:
        op.create_index(INDEX, 'outbox', ['done_at'], unique=False, sqlite_where=DONE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name='outbox', postgresql_concurrently=True)
    else:
        op.drop_index(INDEX, table_name='outbox')
