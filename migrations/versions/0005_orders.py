"""Orders, their items, and the order-number counter.

Revision ID: 0005_orders
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_orders"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("orders",)
depends_on: str | Sequence[str] | None = None


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant", sa.String(64), sa.ForeignKey("tenants.name", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    money = sa.BigInteger
    when = sa.DateTime(timezone=True)
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("channel_type", sa.String(16), nullable=False),
        sa.Column("channel_name", sa.String(64)),
        sa.Column("fulfillment_type", sa.String(24), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("payment_status", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price_method", sa.String(16), nullable=False),
        sa.Column("subtotal", money, nullable=False),
        sa.Column("discount_total", money, nullable=False),
        sa.Column("tax_total", money, nullable=False),
        sa.Column("shipping_total", money, nullable=False),
        sa.Column("shipping_tax", money, nullable=False),
        sa.Column("grand_total", money, nullable=False),
        sa.Column("shop", sa.String(128)),
        sa.Column("shop_locale", sa.String(128)),
        sa.Column("store_id", sa.String(256)),
        sa.Column("associate_id", sa.String(256)),
        sa.Column("associate_email", sa.String(256)),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("customer_email", sa.String(256)),
        sa.Column("customer_name", sa.String(128)),
        sa.Column("customer_language", sa.String(8)),
        sa.Column("billing_address", sa.JSON),
        sa.Column("shipping_address", sa.JSON),
        sa.Column("extended_attributes", sa.JSON, nullable=False),
        sa.Column("notification_blacklist", sa.JSON, nullable=False),
        sa.Column("is_historical", sa.Boolean, nullable=False),
        sa.Column("is_exchange", sa.Boolean, nullable=False),
        sa.Column("is_preconfirmed", sa.Boolean, nullable=False),
        sa.Column("is_offline", sa.Boolean, nullable=False),
        sa.Column("placed_at", when, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("completed_at", when),
        sa.Column("cancelled_at", when),
        sa.Column("cancellation_reason", sa.String(512)),
        sa.Column("cancellation_reason_code", sa.String(64)),
        sa.UniqueConstraint("tenant", "external_id"),
    )
    op.create_index("ix_orders_tenant_customer_email", "orders", ["tenant", "customer_email"])
    op.create_index("ix_orders_tenant_customer_id", "orders", ["tenant", "customer_id"])
    op.create_table(
        "order_items",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "order_id",
            sa.String(36),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("external_item_id", sa.String(64)),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("product_name", sa.String(256)),
        sa.Column("shipping_service_level", sa.String(64), nullable=False),
        sa.Column("fulfilled_by", sa.String(16), nullable=False),
        sa.Column("fulfillment_location_id", sa.String(256)),
        sa.Column("shipment_index", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("list_price", money, nullable=False),
        sa.Column("price", money, nullable=False),
        sa.Column("tax", money, nullable=False),
        sa.Column("discount", money, nullable=False),
        sa.Column("order_discount", money, nullable=False),
        sa.Column("pricebook", sa.String(64)),
        sa.Column("tax_lines", sa.JSON, nullable=False),
        sa.Column("extended_attributes", sa.JSON, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("addon_parent_item_id", sa.String(36)),
        sa.Column("completed_at", when),
        sa.Column("cancelled_at", when),
    )
    op.create_index("ix_order_items_order", "order_items", ["order_id", "position"])
    op.create_table(
        "order_number_sequences",
        sa.Column(
            "tenant",
            sa.String(64),
            sa.ForeignKey("tenants.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("next_value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_number_sequences")
    op.drop_index("ix_order_items_order", "order_items")
    op.drop_table("order_items")
    op.drop_index("ix_orders_tenant_customer_id", "orders")
    op.drop_index("ix_orders_tenant_customer_email", "orders")
    op.drop_table("orders")
