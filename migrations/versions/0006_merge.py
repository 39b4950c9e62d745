"""Join the configuration, catalog, event-stream and orders branches into one history.

Revision ID: 0006_merge
Revises: 0002_config, 0003_catalog, 0004_events, 0005_orders
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = (
    "0002_config",
    "0003_catalog",
    "0004_events",
    "0005_orders",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
