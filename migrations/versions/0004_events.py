"""Event stream: events, outbox, entity clocks, integrations, deliveries, attempts.

On PostgreSQL a statement-level trigger on ``event_outbox`` sends ``NOTIFY cashwrap_events``
so that dispatchers wake when events commit (a NOTIFY is delivered at commit, never on
rollback).

Revision ID: 0004_events
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_events"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("events",)
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "event_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(128), nullable=False),
        sa.Column("logical_timestamp", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index(
        "ix_event_records_tenant_created_at", "event_records", ["tenant", "created_at", "id"]
    )
    op.create_index(
        "ix_event_records_tenant_entity", "event_records", ["tenant", "entity_type", "entity_id"]
    )
    op.create_table(
        "event_outbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_event_outbox_created_at", "event_outbox", ["created_at"])
    op.create_table(
        "event_entity_clocks",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("entity_type", sa.String(64), primary_key=True),
        sa.Column("entity_id", sa.String(128), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "eventstream_integrations",
        sa.Column("pk", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("integration_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.String(32), nullable=True),
        sa.Column("integration_type", sa.String(16), nullable=False),
        sa.Column("starts_at", _TZ, nullable=True),
        sa.Column("ends_at", _TZ, nullable=True),
        sa.Column("callback_url", sa.Text, nullable=False),
        sa.Column("api_key", sa.Text, nullable=True),
        sa.Column("signing_secret", sa.String(128), nullable=False),
        sa.Column("filter_conditions", sa.JSON, nullable=True),
        sa.Column("replay_pending", sa.Boolean, nullable=False),
        sa.Column("replay_until", _TZ, nullable=True),
        sa.Column("replay_cursor_at", _TZ, nullable=True),
        sa.Column("replay_cursor_id", sa.String(36), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("tenant", "integration_id"),
    )
    op.create_index("ix_eventstream_integrations_tenant", "eventstream_integrations", ["tenant"])
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column(
            "integration_pk",
            sa.String(36),
            sa.ForeignKey("eventstream_integrations.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            sa.String(36),
            sa.ForeignKey("event_records.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", _TZ, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(96), nullable=True),
        sa.Column("claimed_until", _TZ, nullable=True),
        sa.Column("first_attempt_at", _TZ, nullable=True),
        sa.Column("last_attempt_at", _TZ, nullable=True),
        sa.Column("delivered_at", _TZ, nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.UniqueConstraint("integration_pk", "event_id"),
    )
    op.create_index(
        "ix_event_deliveries_due",
        "event_deliveries",
        ["due_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "ix_event_deliveries_integration_state", "event_deliveries", ["integration_pk", "state"]
    )
    op.create_index("ix_event_deliveries_event_id", "event_deliveries", ["event_id"])
    op.create_table(
        "event_delivery_attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.String(36),
            sa.ForeignKey("event_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("attempted_at", _TZ, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.Column("worker", sa.String(96), nullable=False),
    )
    op.create_index(
        "ix_event_delivery_attempts_delivery_id", "event_delivery_attempts", ["delivery_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION cashwrap_event_outbox_notify() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('cashwrap_events', '');
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            """
            CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
            FOR EACH STATEMENT EXECUTE FUNCTION cashwrap_event_outbox_notify()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_outbox_notify ON event_outbox")
        op.execute("DROP FUNCTION IF EXISTS cashwrap_event_outbox_notify()")
    op.drop_table("event_delivery_attempts")
    op.drop_table("event_deliveries")
    op.drop_table("eventstream_integrations")
    op.drop_table("event_entity_clocks")
    op.drop_table("event_outbox")
    op.drop_table("event_records")
