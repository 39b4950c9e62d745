"""The injection records: claimed with the order's first statement, read on a conflict, never
updated."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import sql
from cashwrap.injection.models import OrderInjection

INJECTIONS = cast(Table, OrderInjection.__table__)


class Claimed(Exception):
    """Another request holds the record of this (tenant, ``external_id``): raised by the
    statement that sends this one's record, whose transaction then rolls back."""


# Built once and run on the driver (cashwrap.core.sql): the injection hot path.
_INSERT = sql.Statement(insert(INJECTIONS))
_GET = select(
    INJECTIONS.c.fingerprint, INJECTIONS.c.order_id, INJECTIONS.c.status, INJECTIONS.c.response
)


async def claim(session: AsyncSession, row: dict[str, Any]) -> None:
    """Queue the record to go with the transaction's next statement (the stock check, on the
    hot path: one round trip fewer an order). A record that exists for (tenant, external_id)
    raises :class:`Claimed` from there; on PostgreSQL a concurrent claim of the same key is
    waited for: if its transaction commits, this one raises; if it rolls back, this one claims.
    """
    await sql.insert_later(session, _INSERT, [row], refusal=Claimed(row["external_id"]))


async def get(session: AsyncSession, tenant: str, external_id: str) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                _GET.where(INJECTIONS.c.tenant == tenant, INJECTIONS.c.external_id == external_id)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None
