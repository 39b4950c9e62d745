"""Read what a row lock protects once the lock is held (PostgreSQL).

Two hot statements lock a row and read, in the same query, rows that writers change while
holding that lock: order injection's stock check (the stock rows ``FOR UPDATE``, minus the live
reservation items) and the load of a cart being changed or checked out (the cart ``FOR UPDATE``,
with its lines). Under ``READ COMMITTED`` a query reads with the snapshot of its start, so one
that waited for the lock read those rows as they were before the holder committed: sixteen
orders at once for the last five units were all routed, and lines added at once to a cart each
saw none of the others (a store's "no mixed carts" rule let a mixed cart through).

These functions read them instead, called on each locked row: a ``VOLATILE`` function takes a
fresh snapshot for each query it runs. plpgsql, not sql: its query plan is kept for the
connection instead of made at every call. SQLite needs neither: its writers take turns
(``BEGIN IMMEDIATE``). A later migration renaming a column they read (``reservation_items``'
tenant, location_id, product_id, status, expires_at; ``cart_items``' cart_id) must replace them.

Revision ID: 0012_reads_after_row_locks
Revises: 0011_reservation_holds_index
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_reads_after_row_locks"
down_revision: str | Sequence[str] | None = "0011_reservation_holds_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION cashwrap_held_units(
            held_tenant varchar, held_location varchar, held_product varchar, moment timestamptz
        ) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            RETURN (
                SELECT count(*) FROM reservation_items
                WHERE tenant = held_tenant AND location_id = held_location
                    AND product_id = held_product AND status = 'RESERVED'
                    AND expires_at > moment
            );
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION cashwrap_cart_lines(lines_cart varchar)
        RETURNS SETOF cart_items LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            RETURN QUERY SELECT * FROM cart_items WHERE cart_id = lines_cart;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION cashwrap_cart_lines(varchar)")
    op.execute("DROP FUNCTION cashwrap_held_units(varchar, varchar, varchar, timestamptz)")
