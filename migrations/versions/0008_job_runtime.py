"""job runtime: the outbox and the effect ledger, in-app notifications and outgoing mail,
webhook endpoints and deliveries; tickets learn when they entered their state, how often they
were chased and when their SLA first warned or breached; new event kinds and the system channel

`state_entered_at` of existing tickets is their latest state change, else their creation.

Revision ID: e73b7997548e
Revises: 3d7a91c4e2b8
Create Date: 2026-12-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e73b7997548e'
down_revision = '3d7a91c4e2b8'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
OLD_KINDS = (
    'created', 'field_changed', 'assigned', 'state_changed', 'commented', 'routed', 'claimed',
    'transferred', 'approval_requested', 'approval_decided', 'sla_changed',
)
NEW_KINDS = OLD_KINDS + ('chased', 'sla_warning', 'sla_breached', 'escalated')
OLD_CHANNELS = ('agent', 'web', 'email', 'api', 'import')
NEW_CHANNELS = OLD_CHANNELS + ('system',)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _checks(kinds, channels):
    with op.batch_alter_table('ticket_event') as batch:
        batch.drop_constraint('ck_ticket_event_kind', type_='check')
        batch.create_check_constraint('ck_ticket_event_kind', _in('kind', kinds))
        batch.drop_constraint('ck_ticket_event_channel', type_='check')
        batch.create_check_constraint('ck_ticket_event_channel', _in('channel', channels))
    with op.batch_alter_table('ticket') as batch:
        batch.drop_constraint('ck_ticket_channel', type_='check')
        batch.create_check_constraint('ck_ticket_channel', _in('channel', channels))


def upgrade():
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('events', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('effect',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('effect', schema=None) as batch_op:
        batch_op.create_index('ix_effect_ticket', ['ticket_id'], unique=False)

    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_created', [sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['id'], unique=False, postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
        batch_op.create_index('ix_outbox_ticket', ['ticket_id'], unique=False)
        batch_op.create_index('ix_outbox_unsent', ['id'], unique=False, postgresql_where=sa.text('done_at IS NULL AND enqueued_at IS NULL'), sqlite_where=sa.text('done_at IS NULL AND enqueued_at IS NULL'))

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_endpoint', ['endpoint_id', sa.literal_column('id DESC')], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chases', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE ticket SET state_entered_at = COALESCE((SELECT MAX(e.at) FROM ticket_event e "
        "WHERE e.ticket_id = ticket.id AND e.kind = 'state_changed'), created_at)"
    )
    _checks(NEW_KINDS, NEW_CHANNELS)


def downgrade():
    op.execute("DELETE FROM ticket_event WHERE NOT (" + _in('kind', OLD_KINDS) + ")")
    op.execute("UPDATE ticket_event SET channel = 'api' WHERE channel = 'system'")
    op.execute("UPDATE ticket SET channel = 'api' WHERE channel = 'system'")
    _checks(OLD_KINDS, OLD_CHANNELS)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('chases')
        batch_op.drop_column('state_entered_at')
        batch_op.drop_column('sla_breached_at')
        batch_op.drop_column('sla_warned_at')

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_endpoint')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent', postgresql_where=sa.text('done_at IS NULL AND enqueued_at IS NULL'), sqlite_where=sa.text('done_at IS NULL AND enqueued_at IS NULL'))
        batch_op.drop_index('ix_outbox_ticket')
        batch_op.drop_index('ix_outbox_pending', postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))

    op.drop_table('outbox')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user')

    op.drop_table('notification')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_message_created')

    op.drop_table('mail_message')
    with op.batch_alter_table('effect', schema=None) as batch_op:
        batch_op.drop_index('ix_effect_ticket')

    op.drop_table('effect')
    op.drop_table('webhook_endpoint')
