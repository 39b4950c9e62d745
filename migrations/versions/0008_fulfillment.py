"""Order injection records, fulfillment requests and their items.

Revision ID: 0008_fulfillment
Revises: 0007_checkout
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_fulfillment"
down_revision: str | Sequence[str] | None = "0007_checkout"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "tenant",
        sa.String(64),
        sa.ForeignKey("tenants.name", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "order_injections",
        _tenant(primary_key=True),
        sa.Column("external_id", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", when, nullable=False),
    )
    op.create_table(
        "fulfillment_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column(
            "order_id",
            sa.String(36),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("external_order_id", sa.String(64), nullable=False),
        sa.Column("fulfillment_node_id", sa.String(128), nullable=False),
        sa.Column("store_id", sa.String(128)),
        sa.Column("service_level", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("shipping_type", sa.String(32), nullable=False),
        sa.Column("routing_strategy", sa.String(16), nullable=False),
        sa.Column("shipment_index", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("associate_id", sa.String(256)),
        sa.Column("reservation_id", sa.String(36)),
        sa.Column("pickup_code", sa.String(16)),
        sa.Column("carrier", sa.String(256)),
        sa.Column("rate", sa.String(256)),
        sa.Column("tracking_code", sa.String(256)),
        sa.Column("shipment_id", sa.String(128)),
        sa.Column("booking_attempt", sa.Integer, nullable=False),
        sa.Column("label", sa.JSON),
        sa.Column("package", sa.JSON),
        sa.Column("failure_reason", sa.String(64)),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("completed_at", when),
    )
    op.create_index("ix_fulfillment_requests_order", "fulfillment_requests", ["order_id"])
    op.create_index(
        "ix_fulfillment_requests_queue",
        "fulfillment_requests",
        ["tenant", "fulfillment_node_id", "status", "created_at"],
    )
    op.create_index(
        "ix_fulfillment_requests_status", "fulfillment_requests", ["status", "updated_at"]
    )
    op.create_table(
        "fulfillment_request_items",
        sa.Column(
            "fulfillment_request_id",
            sa.String(36),
            sa.ForeignKey("fulfillment_requests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("item_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("picked_at", when),
        sa.Column("packed_at", when),
        sa.Column("carrier", sa.String(256)),
        sa.Column("tracking_code", sa.String(256)),
        sa.Column("shipped_at", when),
        sa.Column("reason", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("fulfillment_request_items")
    op.drop_index("ix_fulfillment_requests_status", "fulfillment_requests")
    op.drop_index("ix_fulfillment_requests_queue", "fulfillment_requests")
    op.drop_index("ix_fulfillment_requests_order", "fulfillment_requests")
    op.drop_table("fulfillment_requests")
    op.drop_table("order_injections")
