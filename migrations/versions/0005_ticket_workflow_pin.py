"""tickets: the workflow version a ticket follows (workflow_key, workflow_version)

Both nullable: tickets created before workflows exist follow none until the workflow engine
pins one. Adding nullable columns without a default rewrites nothing on PostgreSQL.

Revision ID: 5b1e7c2d9a40
Revises: 30caf534fae4
Create Date: 2026-12-01 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c2d9a40'
down_revision = '30caf534fae4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('workflow_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('workflow_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('workflow_version')
        batch.drop_column('workflow_key')
