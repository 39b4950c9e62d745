"""Carts, their line items, and checkout attempts (the idempotency record of a checkout).

Money columns are integers of minor units in the cart's ``currency``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class Cart(Base):
    """What an associate is selling (``/checkout/carts``), until it becomes an order."""

    __tablename__ = "carts"
    __table_args__ = (Index("ix_carts_tenant_created_at", "tenant", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), doc="open | checking_out | checked_out")
    associate_id: Mapped[str] = mapped_column(String(256))
    catalog: Mapped[str] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(128), doc="The store id")
    channel_type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    fulfillment_node_id: Mapped[str] = mapped_column(
        String(128), doc="The store's fulfillment location: where taken items leave from"
    )
    customer_id: Mapped[str | None] = mapped_column(String(64))
    customer_email: Mapped[str | None] = mapped_column(String(256))
    customer_name: Mapped[str | None] = mapped_column(String(128))
    device_id: Mapped[str | None] = mapped_column(String(256))
    fulfillment_group: Mapped[str | None] = mapped_column(String(24))
    service_level: Mapped[str | None] = mapped_column(String(64))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checkout_key: Mapped[str | None] = mapped_column(
        String(256), doc="The idempotency key of the checkout holding the cart"
    )
    order_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CartItem(Base):
    """A line of a cart: ``quantity`` units of one product, taken now or shipped."""

    __tablename__ = "cart_items"
    __table_args__ = (Index("ix_cart_items_cart", "cart_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(255))
    product_name: Mapped[str | None] = mapped_column(String(512))
    quantity: Mapped[int] = mapped_column(Integer)
    fulfillment: Mapped[str] = mapped_column(String(24), doc="IN_STORE_HANDOVER | SHIPPING")
    price_source: Mapped[str] = mapped_column(String(16))
    pricebook: Mapped[str] = mapped_column(String(128))
    unit_price: Mapped[int] = mapped_column(BigInteger, doc="From the catalog when added")
    extended_attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    serial_number: Mapped[str | None] = mapped_column(String(128))
    epc: Mapped[str | None] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckoutAttempt(Base):
    """One checkout, by its ``Idempotency-Key``: what it holds while it runs, its answer after.

    The order id (= payment account id) and the order number are chosen when the attempt is
    written, so a repeat of the same checkout uses the same instrument ids and provider keys.
    """

    __tablename__ = "checkout_attempts"
    __table_args__ = (UniqueConstraint("tenant", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(256))
    cart_id: Mapped[str] = mapped_column(String(36))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), doc="in_progress | succeeded | failed | unknown")
    order_id: Mapped[str] = mapped_column(String(36))
    order_number: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
