"""Fulfillment requests (one per shipment routed to a location) and their items (one per unit).

An FFR item is an order item at a location: ``item_id`` is the order item's id (the
reference's "Sales order item UUID"). The same order item may appear in a second request only
after the first one rejected it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class FulfillmentRequest(Base):
    __tablename__ = "fulfillment_requests"
    __table_args__ = (
        Index("ix_fulfillment_requests_order", "order_id"),
        Index(
            "ix_fulfillment_requests_queue", "tenant", "fulfillment_node_id", "status", "created_at"
        ),
        Index("ix_fulfillment_requests_status", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_order_id: Mapped[str] = mapped_column(
        String(64), doc="The order number the customer knows, printed on every document"
    )
    fulfillment_node_id: Mapped[str] = mapped_column(String(128))
    store_id: Mapped[str | None] = mapped_column(
        String(128), doc="Set when the location is a store: the store's own rules apply"
    )
    service_level: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), doc="ship | pickup")
    shipping_type: Mapped[str] = mapped_column(String(32))
    routing_strategy: Mapped[str] = mapped_column(String(16), doc="default | prerouted | external")
    shipment_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), doc="The store's work; see states")
    associate_id: Mapped[str | None] = mapped_column(String(256))
    reservation_id: Mapped[str | None] = mapped_column(String(36))
    pickup_code: Mapped[str | None] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(256))
    rate: Mapped[str | None] = mapped_column(String(256))
    tracking_code: Mapped[str | None] = mapped_column(String(256))
    shipment_id: Mapped[str | None] = mapped_column(String(128))
    booking_attempt: Mapped[int] = mapped_column(
        Integer, doc="Grows after the carrier refused a booking: the next one is a new request"
    )
    label: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="What the carrier said to print: barcode value and symbology, routing code"
    )
    package: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FulfillmentRequestItem(Base):
    __tablename__ = "fulfillment_request_items"

    fulfillment_request_id: Mapped[str] = mapped_column(
        ForeignKey("fulfillment_requests.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(
        String(16), doc="dispatched | shipped | rejected | cancelled"
    )
    picked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    packed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    carrier: Mapped[str | None] = mapped_column(String(256))
    tracking_code: Mapped[str | None] = mapped_column(String(256))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(64))
