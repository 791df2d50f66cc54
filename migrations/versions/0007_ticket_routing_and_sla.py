"""tickets: state category, SLA clock and due times, round-robin pointers, new event kinds;
approval requests (workflow versions and ticket transitions waiting for a department head)

Existing tickets are all in state "new" and follow no workflow version yet: they follow the
built-in default workflow, whose initial state is "new" (category new), so the server default
of `category` maps them. Columns with a constant default are added without a table rewrite on
PostgreSQL.

Revision ID: 3d7a91c4e2b8
Revises: 8c4f2a9e6d13
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d7a91c4e2b8'
down_revision = '8c4f2a9e6d13'
branch_labels = None
depends_on = None

OLD_KINDS = ('created', 'field_changed', 'assigned', 'state_changed', 'commented')
NEW_KINDS = OLD_KINDS + (
    'routed', 'claimed', 'transferred', 'approval_requested', 'approval_decided', 'sla_changed'
)


def _kinds(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('category', sa.String(length=16), server_default='new', nullable=False))
        batch.add_column(sa.Column('sla_policy', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('sla_started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('sla_paused_seconds', sa.Float(), server_default='0', nullable=False))
        batch.add_column(sa.Column('sla_paused_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            'ck_ticket_category',
            "category IN ('new', 'open', 'waiting', 'solved', 'closed')",
        )
        batch.create_check_constraint('ck_ticket_sla_paused', 'sla_paused_seconds >= 0')
    op.create_index('ix_ticket_assignee_category', 'ticket', ['assignee_id', 'category'])
    op.create_index(
        'ix_ticket_department_due', 'ticket', ['department_id', 'resolution_due_at', 'id']
    )
    with op.batch_alter_table('ticket_event') as batch:
        batch.drop_constraint('ck_ticket_event_kind', type_='check')
        batch.create_check_constraint('ck_ticket_event_kind', _kinds(NEW_KINDS))
    op.create_table('assignment_pointer',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('department_id')
    )
    op.create_table('approval_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('transition', sa.String(length=64), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('workflow', 'transition')", name='ck_approval_kind'),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name='ck_approval_status'),
    sa.CheckConstraint("(kind = 'workflow' AND definition_id IS NOT NULL AND ticket_id IS NULL) OR (kind = 'transition' AND ticket_id IS NOT NULL AND transition IS NOT NULL)", name='ck_approval_subject'),
    sa.ForeignKeyConstraint(['definition_id'], ['definition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_approval_status_requested', 'approval_request', ['status', 'requested_at'])
    for column in ('definition_id', 'ticket_id'):
        op.create_index(
            f"uq_approval_pending_{column.removesuffix('_id')}", 'approval_request', [column],
            unique=True, postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
    op.create_table('approval_department',
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approval_id'], ['approval_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('approval_id', 'department_id')
    )
    op.create_index('ix_approval_department_department_id', 'approval_department', ['department_id'])


def downgrade():
    op.drop_index('ix_approval_department_department_id', table_name='approval_department')
    op.drop_table('approval_department')
    op.drop_table('approval_request')
    op.drop_table('assignment_pointer')
    op.execute("DELETE FROM ticket_event WHERE NOT (" + _kinds(OLD_KINDS) + ")")
    with op.batch_alter_table('ticket_event') as batch:
        batch.drop_constraint('ck_ticket_event_kind', type_='check')
        batch.create_check_constraint('ck_ticket_event_kind', _kinds(OLD_KINDS))
    op.drop_index('ix_ticket_department_due', table_name='ticket')
    op.drop_index('ix_ticket_assignee_category', table_name='ticket')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_constraint('ck_ticket_sla_paused', type_='check')
        batch.drop_constraint('ck_ticket_category', type_='check')
        batch.drop_column('resolution_due_at')
        batch.drop_column('first_response_due_at')
        batch.drop_column('sla_paused_at')
        batch.drop_column('sla_paused_seconds')
        batch.drop_column('sla_started_at')
        batch.drop_column('sla_policy')
        batch.drop_column('category')
