"""Carts, their items and checkout attempts; payment accounts, instruments, transactions and
operations.

Revision ID: 0007_checkout
Revises: 0006_merge
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_checkout"
down_revision: str | Sequence[str] | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant", sa.String(64), sa.ForeignKey("tenants.name", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    money = sa.BigInteger
    when = sa.DateTime(timezone=True)
    op.create_table(
        "carts",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("associate_id", sa.String(256), nullable=False),
        sa.Column("catalog", sa.String(128), nullable=False),
        sa.Column("locale", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("channel_type", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fulfillment_node_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("customer_email", sa.String(256)),
        sa.Column("customer_name", sa.String(128)),
        sa.Column("device_id", sa.String(256)),
        sa.Column("fulfillment_group", sa.String(24)),
        sa.Column("service_level", sa.String(64)),
        sa.Column("shipping_address", sa.JSON),
        sa.Column("billing_address", sa.JSON),
        sa.Column("checkout_key", sa.String(256)),
        sa.Column("order_id", sa.String(36)),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )
    op.create_index("ix_carts_tenant_created_at", "carts", ["tenant", "created_at"])
    op.create_table(
        "cart_items",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "cart_id", sa.String(36), sa.ForeignKey("carts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("product_name", sa.String(512)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("fulfillment", sa.String(24), nullable=False),
        sa.Column("price_source", sa.String(16), nullable=False),
        sa.Column("pricebook", sa.String(128), nullable=False),
        sa.Column("unit_price", money, nullable=False),
        sa.Column("extended_attributes", sa.JSON, nullable=False),
        sa.Column("serial_number", sa.String(128)),
        sa.Column("epc", sa.String(128)),
        sa.Column("source_id", sa.String(512)),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )
    op.create_index("ix_cart_items_cart", "cart_items", ["cart_id", "position"])
    op.create_table(
        "checkout_attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("idempotency_key", sa.String(256), nullable=False),
        sa.Column("cart_id", sa.String(36), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("order_number", sa.String(64)),
        sa.Column("lease_until", when, nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("response", sa.JSON),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.UniqueConstraint("tenant", "idempotency_key"),
    )
    op.create_table(
        "payment_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("authorized", money, nullable=False),
        sa.Column("captured", money, nullable=False),
        sa.Column("refunded", money, nullable=False),
        sa.Column("revoked", money, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )
    op.create_table(
        "payment_instruments",
        sa.Column("id", sa.String(128), primary_key=True),
        _tenant(),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("payment_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("payment_method", sa.String(64), nullable=False),
        sa.Column("payment_wallet", sa.String(64)),
        sa.Column("payment_provider", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("authorized", money, nullable=False),
        sa.Column("captured", money, nullable=False),
        sa.Column("refunded", money, nullable=False),
        sa.Column("revoked", money, nullable=False),
        sa.Column("pending_release", money, nullable=False),
        sa.Column("pending_refund", money, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )
    op.create_index(
        "ix_payment_instruments_account", "payment_instruments", ["account_id", "position"]
    )
    op.create_table(
        "payment_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("payment_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("instrument_id", sa.String(128), nullable=False),
        sa.Column("operation_id", sa.String(36)),
        sa.Column("provider_transaction_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("capture_amount", money, nullable=False),
        sa.Column("refund_amount", money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("correlation_id", sa.String(256)),
        sa.Column("created_at", when, nullable=False),
        sa.UniqueConstraint("instrument_id", "provider_transaction_id"),
    )
    op.create_index(
        "ix_payment_transactions_account", "payment_transactions", ["account_id", "created_at"]
    )
    op.create_table(
        "payment_operations",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("payment_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("amount", money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(256)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.UniqueConstraint("tenant", "idempotency_key"),
    )
    op.create_index("ix_payment_operations_account", "payment_operations", ["account_id"])


def downgrade() -> None:
    op.drop_table("payment_operations")
    op.drop_table("payment_transactions")
    op.drop_table("payment_instruments")
    op.drop_table("payment_accounts")
    op.drop_table("checkout_attempts")
    op.drop_table("cart_items")
    op.drop_table("carts")
