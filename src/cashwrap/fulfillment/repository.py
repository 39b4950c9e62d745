"""Queries of fulfillment requests and their items, in SQLAlchemy Core (rows as plain dicts)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import sql
from cashwrap.fulfillment.models import FulfillmentRequest, FulfillmentRequestItem

REQUESTS = cast(Table, FulfillmentRequest.__table__)
ITEMS = cast(Table, FulfillmentRequestItem.__table__)

# Built once: on the injection path, building a statement costs more than executing it.
_INSERT_REQUESTS = sql.Statement(insert(REQUESTS))
_INSERT_ITEMS = sql.Statement(insert(ITEMS))


async def insert_requests(
    session: AsyncSession,
    requests: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
) -> None:
    """One batch per table, on the driver (:mod:`cashwrap.core.sql`: the injection and
    checkout hot paths)."""
    await sql.insert_later(session, _INSERT_REQUESTS, requests)
    await sql.insert_later(session, _INSERT_ITEMS, items)


async def request_row(
    session: AsyncSession, tenant: str, request_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(REQUESTS).where(REQUESTS.c.tenant == tenant, REQUESTS.c.id == request_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def items_of(
    session: AsyncSession, request_ids: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Items of each request, in their order."""
    found: dict[str, list[dict[str, Any]]] = {request_id: [] for request_id in request_ids}
    if not request_ids:
        return found
    rows = (
        await session.execute(
            select(ITEMS)
            .where(ITEMS.c.fulfillment_request_id.in_(list(request_ids)))
            .order_by(ITEMS.c.fulfillment_request_id, ITEMS.c.position)
        )
    ).mappings()
    for row in rows:
        found[row["fulfillment_request_id"]].append(dict(row))
    return found


async def requests_of_order(
    session: AsyncSession, tenant: str, order_id: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The order's requests, earliest first (the newest ``limit`` of them when given)."""
    query = select(REQUESTS).where(REQUESTS.c.tenant == tenant, REQUESTS.c.order_id == order_id)
    if limit is not None:
        query = query.order_by(REQUESTS.c.created_at.desc(), REQUESTS.c.id.desc()).limit(limit)
        rows = [dict(row) for row in (await session.execute(query)).mappings()]
        rows.reverse()
        return rows
    query = query.order_by(REQUESTS.c.created_at, REQUESTS.c.id)
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def count_of_order(session: AsyncSession, tenant: str, order_id: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(REQUESTS)
        .where(REQUESTS.c.tenant == tenant, REQUESTS.c.order_id == order_id)
    )
    return int(total or 0)


async def queue(
    session: AsyncSession,
    tenant: str,
    node_id: str,
    statuses: Collection[str],
    *,
    limit: int,
    after: tuple[Any, str] | None = None,
) -> list[dict[str, Any]]:
    """A location's requests in the given statuses, oldest first (first in, first out): a page
    of ``limit`` after ``after`` (the last page's ``(created_at, id)``)."""
    query = select(REQUESTS).where(
        REQUESTS.c.tenant == tenant,
        REQUESTS.c.fulfillment_node_id == node_id,
        REQUESTS.c.status.in_(list(statuses)),
    )
    if after is not None:
        query = query.where(tuple_(REQUESTS.c.created_at, REQUESTS.c.id) > tuple_(*after))
    rows = await session.execute(query.order_by(REQUESTS.c.created_at, REQUESTS.c.id).limit(limit))
    return [dict(row) for row in rows.mappings()]


async def update_request(
    session: AsyncSession, tenant: str, request_id: str, values: Mapping[str, Any]
) -> None:
    """Change columns other than the status (the status moves through ``transition``)."""
    assert "status" not in values
    await session.execute(
        update(REQUESTS)
        .where(REQUESTS.c.tenant == tenant, REQUESTS.c.id == request_id)
        .values(**values)
    )


async def move_items(
    session: AsyncSession,
    request_id: str,
    item_ids: Collection[str],
    *,
    current: str,
    values: Mapping[str, Any],
) -> int:
    """Update items still in ``current`` (a guarded update); returns how many moved."""
    result = await session.execute(
        update(ITEMS)
        .where(
            ITEMS.c.fulfillment_request_id == request_id,
            ITEMS.c.item_id.in_(list(item_ids)),
            ITEMS.c.status == current,
        )
        .values(**values)
    )
    return int(getattr(result, "rowcount", 0))


async def mark_items(
    session: AsyncSession, request_id: str, item_ids: Collection[str], values: Mapping[str, Any]
) -> None:
    """Set work timestamps (picked, packed) on items; not a status change."""
    assert "status" not in values
    await session.execute(
        update(ITEMS)
        .where(ITEMS.c.fulfillment_request_id == request_id, ITEMS.c.item_id.in_(list(item_ids)))
        .values(**values)
    )


async def waiting_for_carrier(
    session: AsyncSession, *, limit: int, after: tuple[Any, str] | None = None
) -> list[dict[str, Any]]:
    """Ship-from-store requests booked and waiting for the carrier, every tenant, oldest first:
    a page of ``limit`` after ``after`` (the last page's ``(updated_at, id)``)."""
    query = select(REQUESTS).where(
        REQUESTS.c.status == "ready_for_handover", REQUESTS.c.kind == "ship"
    )
    if after is not None:
        query = query.where(tuple_(REQUESTS.c.updated_at, REQUESTS.c.id) > tuple_(*after))
    rows = await session.execute(query.order_by(REQUESTS.c.updated_at, REQUESTS.c.id).limit(limit))
    return [dict(row) for row in rows.mappings()]
