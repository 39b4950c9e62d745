"""Orders and their items (one item row per unit, the way NewStore counts items).

Money columns are integers of minor units in the order's ``currency``.
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


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant", "external_id"),
        Index("ix_orders_tenant_customer_email", "tenant", "customer_email"),
        Index("ix_orders_tenant_customer_id", "tenant", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64), doc="The order number people see")
    source: Mapped[str] = mapped_column(String(16), doc="checkout | injection | return")
    origin: Mapped[str] = mapped_column(String(16), doc="newstore | external")
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_name: Mapped[str | None] = mapped_column(String(64))
    fulfillment_type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(32), doc="Derived from the items; see states")
    payment_status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    price_method: Mapped[str] = mapped_column(String(16))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger)
    tax_total: Mapped[int] = mapped_column(BigInteger)
    shipping_total: Mapped[int] = mapped_column(BigInteger)
    shipping_tax: Mapped[int] = mapped_column(BigInteger)
    grand_total: Mapped[int] = mapped_column(BigInteger)
    shop: Mapped[str | None] = mapped_column(String(128))
    shop_locale: Mapped[str | None] = mapped_column(String(128))
    store_id: Mapped[str | None] = mapped_column(String(256))
    associate_id: Mapped[str | None] = mapped_column(String(256))
    associate_email: Mapped[str | None] = mapped_column(String(256))
    customer_id: Mapped[str | None] = mapped_column(String(256))
    customer_email: Mapped[str | None] = mapped_column(String(256))
    customer_name: Mapped[str | None] = mapped_column(String(128))
    customer_language: Mapped[str | None] = mapped_column(String(8))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extended_attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notification_blacklist: Mapped[list[str]] = mapped_column(JSON)
    is_historical: Mapped[bool] = mapped_column(Boolean)
    is_exchange: Mapped[bool] = mapped_column(Boolean)
    is_preconfirmed: Mapped[bool] = mapped_column(Boolean)
    is_offline: Mapped[bool] = mapped_column(Boolean)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(String(512))
    cancellation_reason_code: Mapped[str | None] = mapped_column(String(64))


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_order", "order_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    external_item_id: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(255))
    product_name: Mapped[str | None] = mapped_column(String(512))
    shipping_service_level: Mapped[str] = mapped_column(String(64))
    fulfilled_by: Mapped[str] = mapped_column(
        String(16), doc="customer (taken now) | external_oms | store (store fulfillment)"
    )
    fulfillment_location_id: Mapped[str | None] = mapped_column(String(256))
    shipment_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    list_price: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger, doc="Paid, after item discounts")
    tax: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    order_discount: Mapped[int] = mapped_column(BigInteger)
    pricebook: Mapped[str | None] = mapped_column(String(128))
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    extended_attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="What the wire carried and nothing reads: discount info, gift wrapping, …"
    )
    addon_parent_item_id: Mapped[str | None] = mapped_column(String(36))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderNumberSequence(Base):
    """The next order number of a tenant's checkout orders (prefix from the sales order config)."""

    __tablename__ = "order_number_sequences"

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    next_value: Mapped[int] = mapped_column(BigInteger)
