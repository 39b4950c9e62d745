"""Queries on returns and their units (SQLAlchemy Core: plain rows, one statement each)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.returns.models import Return, ReturnItem

returns_table = cast(Table, Return.__table__)
items_table = cast(Table, ReturnItem.__table__)


class AlreadyReturned(Exception):
    """A unit of the return was recorded by another return first (the unique constraint)."""


async def returned_refs(session: AsyncSession, tenant: str, order_ref: str) -> set[str]:
    """The units of an order that some return already holds."""
    rows = await session.execute(
        select(items_table.c.item_ref).where(
            items_table.c.tenant == tenant, items_table.c.order_ref == order_ref
        )
    )
    return set(rows.scalars())


async def insert_return(
    session: AsyncSession, row: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> None:
    """Write a return and its units; :class:`AlreadyReturned` when a unit is taken.

    On PostgreSQL a concurrent transaction inserting the same unit waits for this one and then
    fails on the unique constraint; on SQLite transactions are serialized.
    """
    await session.execute(insert(returns_table), [dict(row)])
    try:
        await session.execute(insert(items_table), [dict(item) for item in items])
    except IntegrityError:
        raise AlreadyReturned from None


async def get_return(
    session: AsyncSession, tenant: str, return_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(returns_table).where(
        returns_table.c.tenant == tenant, returns_table.c.id == return_id
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def returns_of_order(session: AsyncSession, tenant: str, key: str) -> list[dict[str, Any]]:
    """Returns against an order named by its platform id or number, or the OMS's id, or the
    return order a return created; oldest first."""
    query = (
        select(returns_table)
        .where(
            returns_table.c.tenant == tenant,
            or_(
                returns_table.c.order_id == key,
                returns_table.c.order_number == key,
                returns_table.c.return_order_id == key,
                returns_table.c.return_order_number == key,
            ),
        )
        .order_by(returns_table.c.returned_at, returns_table.c.id)
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def items_of(
    session: AsyncSession, return_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {return_id: [] for return_id in return_ids}
    if not return_ids:
        return found
    rows = await session.execute(
        select(items_table)
        .where(items_table.c.return_id.in_(list(return_ids)))
        .order_by(items_table.c.return_id, items_table.c.position)
    )
    for row in rows.mappings():
        found[row["return_id"]].append(dict(row))
    return found


async def update_return(session: AsyncSession, return_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(
        update(returns_table).where(returns_table.c.id == return_id).values(**values)
    )
