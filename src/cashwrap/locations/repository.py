"""Queries of locations, stock and reservations; bulk writes with SQLAlchemy Core."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Table, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import sql
from cashwrap.locations.models import (
    FulfillmentLocation,
    Reservation,
    ReservationItem,
    StockLevel,
)
from cashwrap.locations.states import RESERVED

LOCATIONS: Table = FulfillmentLocation.__table__  # type: ignore[assignment]
STOCK: Table = StockLevel.__table__  # type: ignore[assignment]
RESERVATIONS: Table = Reservation.__table__  # type: ignore[assignment]
ITEMS: Table = ReservationItem.__table__  # type: ignore[assignment]
_INSERT_RESERVATIONS = sql.Statement(RESERVATIONS.insert())
_NODE_OF_STORE = sql.Statement(
    select(LOCATIONS.c.fulfillment_node_id).where(
        LOCATIONS.c.tenant == bindparam("tenant"), LOCATIONS.c.store_id == bindparam("store_id")
    )
)
_LOCATION_EXISTS = sql.Statement(
    select(LOCATIONS.c.fulfillment_node_id).where(
        LOCATIONS.c.tenant == bindparam("tenant"),
        LOCATIONS.c.fulfillment_node_id == bindparam("node"),
    )
)
_INSERT_ITEMS = sql.Statement(ITEMS.insert())


def dialect_insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- locations -------------------------------------------------------------------------------


async def existing_node_ids(
    session: AsyncSession, tenant: str, node_ids: Collection[str]
) -> set[str]:
    if not node_ids:
        return set()
    rows = await session.scalars(
        select(LOCATIONS.c.fulfillment_node_id).where(
            LOCATIONS.c.tenant == tenant, LOCATIONS.c.fulfillment_node_id.in_(list(node_ids))
        )
    )
    return set(rows)


async def insert_locations_if_missing(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        statement = dialect_insert(session, LOCATIONS).on_conflict_do_nothing(
            index_elements=["tenant", "fulfillment_node_id"]
        )
        await session.execute(statement, list(rows))


async def node_of_store(session: AsyncSession, tenant: str, store_id: str) -> str | None:
    rows = await sql.fetch(session, _NODE_OF_STORE, {"tenant": tenant, "store_id": store_id})
    return str(rows[0][0]) if rows else None


async def location_exists(session: AsyncSession, tenant: str, node_id: str) -> bool:
    return bool(await sql.fetch(session, _LOCATION_EXISTS, {"tenant": tenant, "node": node_id}))


async def all_node_ids(session: AsyncSession, tenant: str) -> list[str]:
    rows = await session.scalars(
        select(LOCATIONS.c.fulfillment_node_id)
        .where(LOCATIONS.c.tenant == tenant)
        .order_by(LOCATIONS.c.fulfillment_node_id)
    )
    return list(rows)


async def stores_by_store_id(
    session: AsyncSession, tenant: str, store_ids: Collection[str]
) -> dict[str, str]:
    """store_id → fulfillment_node_id of the locations holding these store ids."""
    if not store_ids:
        return {}
    rows = await session.execute(
        select(LOCATIONS.c.store_id, LOCATIONS.c.fulfillment_node_id).where(
            LOCATIONS.c.tenant == tenant, LOCATIONS.c.store_id.in_(list(store_ids))
        )
    )
    return {str(store_id): str(node) for store_id, node in rows}


# --- stock -------------------------------------------------------------------------------------


async def upsert_stock(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set absolute on-hand quantities (an availability import's meaning)."""
    if rows:
        statement = dialect_insert(session, STOCK)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant", "fulfillment_node_id", "product_id"],
            set_={
                "on_hand": statement.excluded.on_hand,
                "updated_at": statement.excluded.updated_at,
            },
        )
        await session.execute(statement, list(rows))


async def add_to_stock(
    session: AsyncSession, tenant: str, node: str, product_id: str, delta: int, moment: datetime
) -> int:
    """Add ``delta`` ≥ 0 units, creating the stock row if needed; returns the new on-hand."""
    statement = dialect_insert(session, STOCK).values(
        tenant=tenant, fulfillment_node_id=node, product_id=product_id, on_hand=delta,
        updated_at=moment,
    )  # fmt: skip
    upserted = statement.on_conflict_do_update(
        index_elements=["tenant", "fulfillment_node_id", "product_id"],
        set_={"on_hand": STOCK.c.on_hand + delta, "updated_at": moment},
    ).returning(STOCK.c.on_hand)
    return int((await session.execute(upserted)).scalar_one())


async def remove_from_stock(
    session: AsyncSession,
    tenant: str,
    node: str,
    product_id: str,
    units: int,
    moment: datetime,
    *,
    clamp: bool,
) -> int | None:
    """Take ``units`` > 0 away in one conditional UPDATE.

    Without ``clamp`` the update only matches when enough units are on hand (so two racing
    removals cannot take the same unit) and ``None`` says there were not enough. With ``clamp``
    on-hand stops at zero: a sale of a reserved unit must not fail because an import lowered
    the count meanwhile.
    """
    values = _removal(tenant, node, product_id, units, moment)
    rows = await sql.fetch(session, _REMOVE_CLAMPED if clamp else _REMOVE, values)
    return int(rows[0][0]) if rows else None


async def remove_from_stock_later(
    session: AsyncSession, tenant: str, node: str, product_id: str, units: int, moment: datetime
) -> None:
    """As :func:`remove_from_stock` with ``clamp``, queued to go with the transaction's next
    statement (``core.sql.run_later``)."""
    values = _removal(tenant, node, product_id, units, moment)
    await sql.run_later(session, _REMOVE_CLAMPED_LATER, values)


def _removal(
    tenant: str, node: str, product_id: str, units: int, moment: datetime
) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "node": node,
        "product_id": product_id,
        "units": units,
        "moment": moment,
    }


def _remove_from_stock(*, clamp: bool, returning: bool = True) -> sql.Statement:
    units = bindparam("units", type_=STOCK.c.on_hand.type)
    statement = (
        update(STOCK)
        .where(
            STOCK.c.tenant == bindparam("tenant"),
            STOCK.c.fulfillment_node_id == bindparam("node"),
            STOCK.c.product_id == bindparam("product_id"),
        )
        .values(
            on_hand=(
                case((STOCK.c.on_hand >= units, STOCK.c.on_hand - units), else_=0)
                if clamp
                else STOCK.c.on_hand - units
            ),
            updated_at=bindparam("moment", type_=STOCK.c.updated_at.type),
        )
    )
    if returning:
        statement = statement.returning(STOCK.c.on_hand)
    return sql.Statement(statement if clamp else statement.where(STOCK.c.on_hand >= units))


# Built once: every sale handed over at the till takes its units off the store's stock.
_REMOVE = _remove_from_stock(clamp=False)
_REMOVE_CLAMPED = _remove_from_stock(clamp=True)
_REMOVE_CLAMPED_LATER = _remove_from_stock(clamp=True, returning=False)


async def on_hand(
    session: AsyncSession,
    tenant: str,
    node_ids: Collection[str],
    product_ids: Collection[str],
    *,
    lock: bool = False,
) -> dict[tuple[str, str], int]:
    """(fulfillment_node_id, product_id) → units on hand, for the rows that exist.

    ``lock`` takes the rows ``FOR UPDATE`` on PostgreSQL (in key order, so two transactions
    locking overlapping sets cannot deadlock); SQLite's ``BEGIN IMMEDIATE`` already serializes
    writers.
    """
    if not node_ids or not product_ids:
        return {}
    query = (
        select(STOCK.c.fulfillment_node_id, STOCK.c.product_id, STOCK.c.on_hand)
        .where(
            STOCK.c.tenant == tenant,
            STOCK.c.fulfillment_node_id.in_(list(node_ids)),
            STOCK.c.product_id.in_(list(product_ids)),
        )
        .order_by(STOCK.c.fulfillment_node_id, STOCK.c.product_id)
    )
    if lock and is_postgresql(session):
        query = query.with_for_update()
    rows = await session.execute(query)
    return {(node, product): int(units) for node, product, units in rows}


async def available_units(
    session: AsyncSession,
    tenant: str,
    node: str,
    product_ids: Collection[str],
    moment: datetime,
) -> dict[str, int]:
    """product_id → on-hand minus active reservations at ``node`` (rows that exist), in one
    query; the stock rows are locked ``FOR UPDATE`` on PostgreSQL, in key order."""
    products = list(product_ids)
    statement = _available_units(len(products))
    values: dict[str, Any] = {"tenant": tenant, "node": node, "moment": moment}
    values.update((f"product_{index}", product) for index, product in enumerate(products))
    rows = await sql.fetch(session, statement, values)
    return {product: max(0, int(units)) for product, units in rows}


@functools.cache
def _available_units(count: int) -> sql.Statement:
    """One statement per number of products, compiled once each (the injection hot path).

    PostgreSQL counts each row's holds once the row is locked (migration ``0012``): a count in
    the locking query itself reads with the snapshot of the query's start, from before the order
    that held the row committed its own holds. SQLite's writers take turns (``BEGIN
    IMMEDIATE``), so what it counts is the latest.
    """
    moment = bindparam("moment", type_=ITEMS.c.expires_at.type)
    stock = (
        select(STOCK.c.product_id, STOCK.c.on_hand)
        .where(
            STOCK.c.tenant == bindparam("tenant"),
            STOCK.c.fulfillment_node_id == bindparam("node"),
            STOCK.c.product_id.in_([bindparam(f"product_{index}") for index in range(count)]),
        )
        .order_by(STOCK.c.product_id)
    )
    held_here = (
        select(func.count())
        .where(
            ITEMS.c.tenant == STOCK.c.tenant,
            ITEMS.c.location_id == STOCK.c.fulfillment_node_id,
            ITEMS.c.product_id == STOCK.c.product_id,
            ITEMS.c.status == RESERVED,
            ITEMS.c.expires_at > moment,
        )
        .scalar_subquery()
    )
    # MATERIALIZED: each row is locked before the outer query calls the function on it.
    locked = stock.with_for_update().cte("locked").prefix_with("MATERIALIZED")
    held_once_locked = func.cashwrap_held_units(
        bindparam("tenant", type_=ITEMS.c.tenant.type),
        bindparam("node", type_=ITEMS.c.location_id.type),
        locked.c.product_id,
        moment,
        type_=Integer,
    )
    return sql.Statement(
        stock.with_only_columns(STOCK.c.product_id, STOCK.c.on_hand - held_here),
        postgresql=select(locked.c.product_id, locked.c.on_hand - held_once_locked).order_by(
            locked.c.product_id
        ),
        reads=(ITEMS,),
    )


async def active_reservation_counts(
    session: AsyncSession,
    tenant: str,
    node_ids: Collection[str],
    product_ids: Collection[str],
    moment: datetime,
) -> dict[tuple[str, str], int]:
    """(fulfillment_node_id, product_id) → units held by reserved, unexpired items."""
    if not node_ids or not product_ids:
        return {}
    rows = await session.execute(
        select(ITEMS.c.location_id, ITEMS.c.product_id, func.count())
        .where(
            ITEMS.c.tenant == tenant,
            ITEMS.c.location_id.in_(list(node_ids)),
            ITEMS.c.product_id.in_(list(product_ids)),
            ITEMS.c.status == RESERVED,
            ITEMS.c.expires_at > moment,
        )
        .group_by(ITEMS.c.location_id, ITEMS.c.product_id)
    )
    return {(node, product): int(count) for node, product, count in rows}


async def active_reservation_items(
    session: AsyncSession,
    tenant: str,
    node: str,
    product_id: str,
    moment: datetime,
    limit: int,
) -> list[tuple[ReservationItem, Reservation]]:
    rows = await session.execute(
        select(ReservationItem, Reservation)
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .where(
            ReservationItem.tenant == tenant,
            ReservationItem.location_id == node,
            ReservationItem.product_id == product_id,
            ReservationItem.status == RESERVED,
            ReservationItem.expires_at > moment,
        )
        .order_by(Reservation.created_at, ReservationItem.position)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


# --- reservations ------------------------------------------------------------------------------


async def insert_reservations(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await sql.insert_later(session, _INSERT_RESERVATIONS, rows)


async def insert_reservation_items(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> None:
    await sql.insert_later(session, _INSERT_ITEMS, rows)


async def reservation_items(session: AsyncSession, reservation_id: str) -> list[ReservationItem]:
    rows = await session.scalars(
        select(ReservationItem)
        .where(ReservationItem.reservation_id == reservation_id)
        .order_by(ReservationItem.position)
    )
    return list(rows)


async def items_of(
    session: AsyncSession, reservation_ids: Sequence[str]
) -> dict[str, list[ReservationItem]]:
    found: dict[str, list[ReservationItem]] = {rid: [] for rid in reservation_ids}
    if not reservation_ids:
        return found
    rows = await session.scalars(
        select(ReservationItem)
        .where(ReservationItem.reservation_id.in_(list(reservation_ids)))
        .order_by(ReservationItem.reservation_id, ReservationItem.position)
    )
    for item in rows:
        found[item.reservation_id].append(item)
    return found
