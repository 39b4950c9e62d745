"""Index reservation items by their expiry too: a stock check reads the live holds only.

An item that expires keeps its ``RESERVED`` status (it simply stops holding stock), so the old
index ``(tenant, location_id, product_id, status)`` led every stock check and ATP count through
all the expired items a product ever had at a location, each read from the table to compare its
``expires_at``: with 10,000 of them a stock check took 9.3 ms instead of 1.1 (with 50,000,
42 ms) — under the stock rows' ``FOR UPDATE``, so every order for that product at that
location waited its turn (``bench/reservation_history.py``). With ``expires_at`` last in the
index the check reads the unexpired items' range and nothing else. The new index is built
before the old one is dropped, so the queries never go without one.

Revision ID: 0011_reservation_holds_index
Revises: 0010_widen_columns
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_reservation_holds_index"
down_revision: str | Sequence[str] | None = "0010_widen_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_PRODUCT = ["tenant", "location_id", "product_id", "status"]


def upgrade() -> None:
    op.create_index("ix_reservation_items_holds", "reservation_items", [*_BY_PRODUCT, "expires_at"])
    op.drop_index("ix_reservation_items_atp", "reservation_items")


def downgrade() -> None:
    op.create_index("ix_reservation_items_atp", "reservation_items", _BY_PRODUCT)
    op.drop_index("ix_reservation_items_holds", "reservation_items")
