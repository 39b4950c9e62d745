"""Widen the columns a sale, a return or an injection copies into to what the platform accepts.

A catalog product id (255), title (512) and pricebook (128), and a return's customer id (256),
did not fit the order, fulfillment and return columns they are copied into: PostgreSQL refused
the insert. SQLite does not enforce the lengths; it gets the same declared types. Downgrading
narrows them again: on PostgreSQL it fails once a longer value is stored (nothing is cut).

Revision ID: 0010_widen_columns
Revises: 0009_returns
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0010_widen_columns"
down_revision: str | Sequence[str] | None = "0009_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, nullable, length before, length after
_WIDENED = (
    ("orders", "customer_id", True, 64, 256),
    ("order_items", "product_id", False, 64, 255),
    ("order_items", "product_name", True, 256, 512),
    ("order_items", "pricebook", True, 64, 128),
    ("fulfillment_request_items", "product_id", False, 64, 255),
    ("return_items", "product_name", True, 256, 512),
)


@contextmanager
def _foreign_keys_off_on_sqlite() -> Iterator[None]:
    """SQLite changes a column's type by copying the table and dropping the old one; with
    foreign keys on, dropping ``orders`` would delete, by cascade, every order's items and
    fulfillment requests. So SQLite's own procedure for such changes: commit, foreign keys off
    (the pragma is a no-op inside a transaction), change the tables in a transaction, check the
    references, commit, foreign keys back on. The engine's connections begin every transaction
    themselves (``BEGIN IMMEDIATE``), so the statements are sent as they are."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows referencing nothing after the copy: {broken}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def _resize(*, widen: bool) -> None:
    with _foreign_keys_off_on_sqlite():
        for table in dict.fromkeys(table for table, *_ in _WIDENED):
            with op.batch_alter_table(table) as batch:
                for name, column, nullable, before, after in _WIDENED:
                    if name == table:
                        batch.alter_column(
                            column,
                            existing_type=sa.String(before if widen else after),
                            type_=sa.String(after if widen else before),
                            existing_nullable=nullable,
                        )


def upgrade() -> None:
    _resize(widen=True)


def downgrade() -> None:
    _resize(widen=False)
