"""user_token_version: the per-user version that revokes sessions and JWTs

One row per user whose sessions were ever revoked (logout, password change); a user without
a row is at version 0. Deleting a user deletes the row.

Revision ID: 8c4f2a9e6d13
Revises: 5b1e7c2d9a40
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c4f2a9e6d13'
down_revision = '5b1e7c2d9a40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_token_version',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('user_token_version')
