"""The event stream's tables: payload, queue, delivery and attempt are kept apart.

* ``event_records`` — one immutable row per committed event: the body exactly as it is POSTed.
  Kept for replay (temporary integrations) and for monitoring.
* ``event_outbox`` — the queue of events not yet fanned out to integrations. A row is written
  in the domain's transaction and deleted by the dispatcher in the transaction that creates the
  event's deliveries, so an event is fanned out exactly once whatever crashes when.
* ``event_deliveries`` — one row per (integration, event): its state, its next due time and the
  lease of the worker that holds it. This is the work queue of the HTTP senders.
* ``event_delivery_attempts`` — one row per HTTP attempt, with the (truncated) response.
* ``eventstream_integrations`` — the subscriptions NewStore calls integrations.
* ``event_entity_clocks`` — the per-entity counter behind ``logical_timestamp``.

No auto-increment id is used as a cursor anywhere: ids are handed out in insert order but
transactions commit in another order, so a reader following such a cursor can skip a row that
commits late. The outbox is a queue instead (rows leave it when they are handled), and the
replay of a window walks ``(created_at, id)`` only over rows that are already committed, with
the fan-out covering everything that commits later (see ``dispatcher``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class EventRecord(Base):
    __tablename__ = "event_records"
    __table_args__ = (
        Index("ix_event_records_tenant_created_at", "tenant", "created_at", "id"),
        Index("ix_event_records_tenant_entity", "tenant", "entity_type", "entity_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    logical_timestamp: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventOutbox(Base):
    """The fan-out queue. It repeats the body so that the dispatcher's DELETE … RETURNING hands
    it the bytes to send without another query: a row lives only until it is fanned out."""

    __tablename__ = "event_outbox"
    __table_args__ = (Index("ix_event_outbox_created_at", "created_at"),)

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventEntityClock(Base):
    __tablename__ = "event_entity_clocks"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Integration(Base):
    __tablename__ = "eventstream_integrations"
    __table_args__ = (UniqueConstraint("tenant", "integration_id"),)

    pk: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    integration_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    integration_type: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    callback_url: Mapped[str] = mapped_column(Text)
    api_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    signing_secret: Mapped[str] = mapped_column(String(128))
    filter_conditions: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    replay_pending: Mapped[bool] = mapped_column(Boolean)
    replay_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    replay_cursor_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    replay_cursor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("integration_pk", "event_id"),
        # The senders' queue: only pending rows, oldest due first.
        Index(
            "ix_event_deliveries_due",
            "due_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_event_deliveries_integration_state", "integration_pk", "state"),
        Index("ix_event_deliveries_event_id", "event_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    integration_pk: Mapped[str] = mapped_column(
        ForeignKey("eventstream_integrations.pk", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(ForeignKey("event_records.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(96), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    __tablename__ = "event_delivery_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("event_deliveries.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str] = mapped_column(String(96))


event_records = cast(Table, EventRecord.__table__)
event_outbox = cast(Table, EventOutbox.__table__)
event_entity_clocks = cast(Table, EventEntityClock.__table__)
integrations = cast(Table, Integration.__table__)
deliveries = cast(Table, Delivery.__table__)
delivery_attempts = cast(Table, DeliveryAttempt.__table__)
