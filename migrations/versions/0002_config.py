"""Configuration documents: one versioned JSON document per tenant and configuration.

Revision ID: 0002_config
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_config"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("config",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "config_documents",
        sa.Column(
            "tenant",
            sa.String(64),
            sa.ForeignKey("tenants.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(300), primary_key=True),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("config_documents")
