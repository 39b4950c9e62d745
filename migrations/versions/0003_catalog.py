"""Catalog, fulfillment locations, stock, reservations and import jobs.

Revision ID: 0003_catalog
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_catalog"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = None


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant",
        sa.String(64),
        sa.ForeignKey("tenants.name", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "fulfillment_locations",
        _tenant(),
        sa.Column("fulfillment_node_id", sa.String(128), nullable=False),
        sa.Column("store_id", sa.String(128), nullable=True),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("country_code", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("created_by_import", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "fulfillment_node_id"),
        sa.UniqueConstraint("tenant", "store_id"),
    )
    op.create_table(
        "stock_levels",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("fulfillment_node_id", sa.String(128), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "fulfillment_node_id", "product_id"),
        sa.ForeignKeyConstraint(
            ["tenant", "fulfillment_node_id"],
            ["fulfillment_locations.tenant", "fulfillment_locations.fulfillment_node_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "products",
        _tenant(),
        sa.Column("shop", sa.String(128), nullable=False),
        sa.Column("locale", sa.String(32), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("brand", sa.String(256), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("import_id", sa.String(36), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "shop", "locale", "product_id"),
    )
    op.create_index("ix_products_tenant_product_id", "products", ["tenant", "product_id"])
    op.create_table(
        "product_prices",
        _tenant(),
        sa.Column("pricebook", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("import_id", sa.String(36), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "pricebook", "currency", "product_id"),
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("provider", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("source_uri", sa.Text, nullable=False),
        sa.Column("transformed_uri", sa.Text, nullable=True),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("full_import", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("checkpoint", sa.JSON, nullable=True),
        sa.Column("records_processed", sa.BigInteger, nullable=False),
        sa.Column("records_imported", sa.BigInteger, nullable=False),
        sa.Column("records_failed", sa.BigInteger, nullable=False),
        sa.Column("bytes_total", sa.BigInteger, nullable=True),
        sa.Column("bytes_done", sa.BigInteger, nullable=False),
        sa.Column("locations_created", sa.Integer, nullable=False),
        sa.Column("products_removed", sa.BigInteger, nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_message", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_import_jobs_tenant_status", "import_jobs", ["tenant", "status"])
    op.create_table(
        "import_errors",
        sa.Column(
            "job_id",
            sa.String(36),
            sa.ForeignKey("import_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("file", sa.String(255), nullable=False),
        sa.Column("line", sa.BigInteger, nullable=False),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant(),
        sa.Column("location_id", sa.String(128), nullable=False),
        sa.Column("customer_profile_id", sa.String(255), nullable=True),
        sa.Column("associate_id", sa.String(255), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("display_id", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "idempotency_key"),
    )
    op.create_index("ix_reservations_order_id", "reservations", ["order_id"])
    op.create_index(
        "ix_reservations_tenant_location_status",
        "reservations",
        ["tenant", "location_id", "status"],
    )
    op.create_table(
        "reservation_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "reservation_id",
            sa.String(36),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("location_id", sa.String(128), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cart_id", sa.String(255), nullable=True),
        sa.Column("order_item_id", sa.String(64), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reservation_items_reservation_id", "reservation_items", ["reservation_id"])
    op.create_index(
        "ix_reservation_items_atp",
        "reservation_items",
        ["tenant", "location_id", "product_id", "status"],
    )
    op.create_table(
        "reservation_configs",
        sa.Column(
            "tenant",
            sa.String(64),
            sa.ForeignKey("tenants.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("expires_in_min", sa.Integer, nullable=False),
        sa.Column("send_accepted_emails", sa.Boolean, nullable=False),
        sa.Column("send_rejected_emails", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reservation_configs")
    op.drop_index("ix_reservation_items_atp", "reservation_items")
    op.drop_index("ix_reservation_items_reservation_id", "reservation_items")
    op.drop_table("reservation_items")
    op.drop_index("ix_reservations_tenant_location_status", "reservations")
    op.drop_index("ix_reservations_order_id", "reservations")
    op.drop_table("reservations")
    op.drop_table("import_errors")
    op.drop_index("ix_import_jobs_tenant_status", "import_jobs")
    op.drop_table("import_jobs")
    op.drop_table("product_prices")
    op.drop_index("ix_products_tenant_product_id", "products")
    op.drop_table("products")
    op.drop_table("stock_levels")
    op.drop_table("fulfillment_locations")
