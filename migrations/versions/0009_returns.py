"""Returns taken in a store and their units.

Revision ID: 0009_returns
Revises: 0008_fulfillment
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_returns"
down_revision: str | Sequence[str] | None = "0008_fulfillment"
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
        "returns",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16)),
        sa.Column("order_id", sa.String(36)),
        sa.Column("order_number", sa.String(128), nullable=False),
        sa.Column("order_ref", sa.String(160), nullable=False),
        sa.Column("return_order_id", sa.String(36), nullable=False),
        sa.Column("return_order_number", sa.String(64), nullable=False),
        sa.Column("returned_from", sa.String(128), nullable=False),
        sa.Column("store_id", sa.String(128)),
        sa.Column("associate_id", sa.String(256)),
        sa.Column("associate_email", sa.String(256)),
        sa.Column("customer_id", sa.String(256)),
        sa.Column("customer_email", sa.String(256)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_refund_amount", money, nullable=False),
        sa.Column("total_refund_tax", money, nullable=False),
        sa.Column("return_fee", money, nullable=False),
        sa.Column("note", sa.String(1024)),
        sa.Column("refund_request_id", sa.String(36), nullable=False),
        sa.Column("refund_method", sa.String(32), nullable=False),
        sa.Column("refund_status", sa.String(16), nullable=False),
        sa.Column("refunded_amount", money, nullable=False),
        sa.Column("refund_attempt", sa.Integer, nullable=False),
        sa.Column("refund_outcome", sa.JSON),
        sa.Column("returned_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )
    op.create_index("ix_returns_tenant_order_id", "returns", ["tenant", "order_id"])
    op.create_index("ix_returns_tenant_order_number", "returns", ["tenant", "order_number"])
    op.create_index("ix_returns_tenant_return_order_id", "returns", ["tenant", "return_order_id"])
    op.create_table(
        "return_items",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "return_id",
            sa.String(36),
            sa.ForeignKey("returns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("order_ref", sa.String(160), nullable=False),
        sa.Column("item_ref", sa.String(160), nullable=False),
        sa.Column("order_item_id", sa.String(128)),
        sa.Column("return_order_item_id", sa.String(36)),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("product_name", sa.String(256)),
        sa.Column("refund_amount", money, nullable=False),
        sa.Column("refund_tax", money, nullable=False),
        sa.Column("return_reason", sa.String(256)),
        sa.Column("return_code", sa.Integer),
        sa.Column("item_condition", sa.String(256)),
        sa.Column("condition_code", sa.String(64)),
        sa.Column("restocked", sa.Boolean, nullable=False),
        sa.UniqueConstraint("tenant", "order_ref", "item_ref"),
    )
    op.create_index("ix_return_items_return", "return_items", ["return_id", "position"])


def downgrade() -> None:
    op.drop_table("return_items")
    op.drop_table("returns")
