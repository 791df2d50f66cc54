"""tickets: free-text search (`ticket.search_text`, a GIN trigram index on PostgreSQL)

The column is what the list's search box reads (app/tickets/search.py); the ticket service
writes it. Existing tickets get theirs here, from the same function (`search.backfill`), one
batch of rows per UPDATE. On PostgreSQL the pg_trgm extension is created (trusted since
PostgreSQL 13: the database owner may) and the index built CONCURRENTLY outside the
migration's transaction, so a large ticket table keeps taking writes meanwhile. SQLite gets
the index as the models declare it: partial on a false condition, empty.

Revision ID: b0d2e3f4a510
Revises: a9c1d2e3f409
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b0d2e3f4a510'
down_revision = 'a9c1d2e3f409'
branch_labels = None
depends_on = None

INDEX = 'ix_ticket_search'
STATISTICS = 1000  # histogram entries of search_text (as app.tickets.fields keeps for text)


def _fill(conn):
    """The search text of every stored ticket (the template versions resolved first)."""
    from app.extensions import db
    from app.tickets.search import backfill, fields_of

    keys = conn.execute(sa.text('SELECT DISTINCT template, template_version FROM ticket')).all()
    fields = {(key, version): fields_of(key, version) for key, version in keys}
    db.session.remove()  # the resolving session holds no lock while the rows are written
    backfill(conn, fields)


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    _fill(op.get_bind())
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        # The planner estimates `LIKE '%term%'` by matching the pattern against the column's
        # histogram: 1,000 entries (not 100) keep a 1 % term from looking like 0.01 %, which
        # would read the trigram index for ~20,000 rows where the sort's index finds 50 in
        # a few thousand (bench/README.md, free-text search).
        op.execute(f'ALTER TABLE ticket ALTER COLUMN search_text SET STATISTICS {STATISTICS}')
        with op.get_context().autocommit_block():
            op.create_index(
                INDEX,
                'ticket',
                ['search_text'],
                unique=False,
                postgresql_using='gin',
                postgresql_ops={'search_text': 'gin_trgm_ops'},
                postgresql_with={'fastupdate': 'off'},
                postgresql_concurrently=True,
            )
            op.execute('ANALYZE ticket')
    else:
        op.create_index(INDEX, 'ticket', ['search_text'], unique=False, sqlite_where=sa.text('0'))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name='ticket', postgresql_concurrently=True)
    else:
        op.drop_index(INDEX, table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('search_text')
