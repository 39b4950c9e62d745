"""The sandbox OMS's own tables (its database, created at start-up; never the platform's).

* ``oms_stock`` — units the OMS promises per location and product (its ATP);
* ``oms_orders`` — every order the OMS knows: its own (``origin`` external, seeded through the
  admin API) and the platform's (``origin`` newstore, learnt from ``order.created``). The
  webhook document (items, totals, customer, payment history) is kept whole in ``document``;
* ``oms_fulfillments`` — how the OMS routed an order's shipped items: its distribution centre
  ships them, or a platform store fulfils them (an order injected under a new number);
* ``oms_events`` — every event delivery received, with what became of it;
* ``oms_held_events`` — deliveries held back to be handled in reverse order (a dialed fault);
* ``oms_platform`` — where the platform is and the OMS's credentials there (one row).

The event receiver's de-duplication tables (``cashwrap.sdk.events.metadata``) live in the same
database, so a receipt and the handler's writes commit together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cashwrap.core.db import NAMING_CONVENTION


class OmsBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Stock(OmsBase):
    __tablename__ = "oms_stock"

    location: Mapped[str] = mapped_column(String(256), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    atp: Mapped[int] = mapped_column(Integer)


class OmsOrder(OmsBase):
    """``id`` is the number associates see (the platform's ``external_id`` for its orders)."""

    __tablename__ = "oms_orders"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))
    origin_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(256), index=True, nullable=True)
    customer_token: Mapped[str | None] = mapped_column(String(256), index=True, nullable=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(32))
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_logical_timestamp: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Fulfillment(OmsBase):
    """One routing decision for some items of an order.

    ``kind`` ``dc`` (the OMS's distribution centre ships; ``status`` shipped at once) or
    ``store`` (injected into the platform as ``external_id`` with routing ``external`` and the
    store's node: pending → injecting → injected → completed, or cancelled → a new fulfillment
    with ``attempt`` + 1 at another store; failed when the platform refused it or no store is
    left). ``request`` is the injection payload, built once so that every retry sends the same.
    """

    __tablename__ = "oms_fulfillments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    location: Mapped[str | None] = mapped_column(String(256), nullable=True)
    item_ids: Mapped[list[str]] = mapped_column(JSON)
    service_level: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    tried_locations: Mapped[list[str]] = mapped_column(JSON)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    platform_order_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    http_attempts: Mapped[int] = mapped_column(Integer, default=0)
    tracking_code: Mapped[str | None] = mapped_column(String(128), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReceivedEvent(OmsBase):
    """One delivery of the event stream and its outcome (handled, duplicate, deferred, held,
    ignored, refused); ``note`` says what the OMS did or why it did nothing."""

    __tablename__ = "oms_events"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(256), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    logical_timestamp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HeldEvent(OmsBase):
    __tablename__ = "oms_held_events"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    log_sequence: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlatformConnection(OmsBase):
    __tablename__ = "oms_platform"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    tenant: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[str] = mapped_column(String(256))
    client_secret: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    signing_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
