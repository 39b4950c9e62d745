"""Returns taken in a store and their units (one row per unit, like order items).

Money columns are integers of minor units in the return's ``currency``.

The unique constraint ``(tenant, order_ref, item_ref)`` on ``return_items`` is what makes a
unit returnable once, whichever way the order is known: for an order of the platform
``order_ref`` is its id and ``item_ref`` its item's id; for an order only the external OMS
knows they are ``oms:<order id>`` and the OMS's item key; a blind return uses its own id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_tenant_order_id", "tenant", "order_id"),
        Index("ix_returns_tenant_order_number", "tenant", "order_number"),
        Index("ix_returns_tenant_return_order_id", "tenant", "return_order_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), doc="referenced | unreferenced | blind")
    origin: Mapped[str | None] = mapped_column(String(16), doc="newstore | external (the order's)")
    order_id: Mapped[str | None] = mapped_column(
        String(36), doc="The platform's order returned against (None: the OMS's or blind)"
    )
    order_number: Mapped[str] = mapped_column(
        String(128), doc="The id people see: the order number, or the OMS's order id"
    )
    order_ref: Mapped[str] = mapped_column(String(160), doc="Scope of the once-only guard")
    return_order_id: Mapped[str] = mapped_column(String(36), doc="The order the return created")
    return_order_number: Mapped[str] = mapped_column(String(64))
    returned_from: Mapped[str] = mapped_column(String(128), doc="fulfillment_node_id")
    store_id: Mapped[str | None] = mapped_column(String(128))
    associate_id: Mapped[str | None] = mapped_column(String(256))
    associate_email: Mapped[str | None] = mapped_column(String(256))
    customer_id: Mapped[str | None] = mapped_column(String(256))
    customer_email: Mapped[str | None] = mapped_column(String(256))
    currency: Mapped[str] = mapped_column(String(3))
    total_refund_amount: Mapped[int] = mapped_column(BigInteger)
    total_refund_tax: Mapped[int] = mapped_column(BigInteger)
    return_fee: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(1024))
    refund_request_id: Mapped[str] = mapped_column(String(36))
    refund_method: Mapped[str] = mapped_column(String(32), doc="original | external | …")
    refund_status: Mapped[str] = mapped_column(String(16), doc="See states.REFUND_LIFECYCLE")
    refunded_amount: Mapped[int] = mapped_column(BigInteger)
    refund_attempt: Mapped[int] = mapped_column(
        Integer, doc="Grows when a failed refund is retried"
    )
    refund_outcome: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="What the last refund attempt answered (error code, message, transactions)"
    )
    returned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReturnItem(Base):
    __tablename__ = "return_items"
    __table_args__ = (
        UniqueConstraint("tenant", "order_ref", "item_ref"),
        Index("ix_return_items_return", "return_id", "position"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    order_ref: Mapped[str] = mapped_column(String(160))
    item_ref: Mapped[str] = mapped_column(String(160))
    order_item_id: Mapped[str | None] = mapped_column(
        String(128), doc="The returned unit's id in its order (platform uuid or the OMS's id)"
    )
    return_order_item_id: Mapped[str | None] = mapped_column(String(36))
    product_id: Mapped[str] = mapped_column(String(255))
    product_name: Mapped[str | None] = mapped_column(String(512))
    refund_amount: Mapped[int] = mapped_column(BigInteger)
    refund_tax: Mapped[int] = mapped_column(BigInteger)
    return_reason: Mapped[str | None] = mapped_column(String(256))
    return_code: Mapped[int | None] = mapped_column(Integer)
    item_condition: Mapped[str | None] = mapped_column(String(256))
    condition_code: Mapped[str | None] = mapped_column(String(64))
    restocked: Mapped[bool] = mapped_column(Boolean)
