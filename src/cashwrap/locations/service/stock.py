"""On-hand stock, its adjustments, and ATP computed from it.

ATP from stock = on-hand − units held by *active* reservations (status ``RESERVED`` and not yet
expired), never below zero. An expired reservation stops counting without anyone touching it;
converting a reserved unit takes it out of on-hand (the sale), unreserving just releases it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput
from cashwrap.locations import repository
from cashwrap.locations.service.locations import require_location

INSIGHTS_LIMIT = 1000


async def on_hand(session: AsyncSession, tenant: str, node_id: str, product_id: str) -> int:
    """Units on hand of one product at one location (0 when never stocked)."""
    levels = await repository.on_hand(session, tenant, [node_id], [product_id])
    return levels.get((node_id, product_id), 0)


async def stock_levels(
    session: AsyncSession,
    tenant: str,
    node_ids: Collection[str],
    product_ids: Collection[str],
) -> dict[tuple[str, str], int]:
    """(fulfillment_node_id, product_id) → on hand, 0 for pairs never stocked."""
    levels = await repository.on_hand(session, tenant, node_ids, product_ids)
    return {
        (node, product): levels.get((node, product), 0)
        for node in node_ids
        for product in product_ids
    }


async def set_stock(
    session: AsyncSession,
    tenant: str,
    rows: Sequence[tuple[str, str, int]],
    *,
    moment: datetime | None = None,
) -> None:
    """Set absolute on-hand quantities: ``(fulfillment_node_id, product_id, units)``.

    The locations must exist (an import creates them first with ``ensure_locations``).
    """
    moment = moment or clock.now()
    await repository.upsert_stock(
        session,
        [
            {
                "tenant": tenant,
                "fulfillment_node_id": node,
                "product_id": product,
                "on_hand": units,
                "updated_at": moment,
            }
            for node, product, units in rows
        ],
    )


async def adjust_stock(
    session: AsyncSession,
    tenant: str,
    node_id: str,
    product_id: str,
    delta: int,
    *,
    clamp: bool = False,
) -> int:
    """Add (``delta`` > 0, e.g. a return restocked) or remove units; the new on-hand.

    Removal is one conditional UPDATE: two concurrent removals cannot both take the last unit;
    the loser gets 409 ``insufficient_stock`` and nothing changes. With ``clamp`` a removal
    never fails and on-hand stops at zero (for units that physically left, such as a sale).
    """
    if delta == 0:
        return await on_hand(session, tenant, node_id, product_id)
    await require_location(session, tenant, node_id)
    moment = clock.now()
    if delta > 0:
        return await repository.add_to_stock(session, tenant, node_id, product_id, delta, moment)
    value = await repository.remove_from_stock(
        session, tenant, node_id, product_id, -delta, moment, clamp=clamp
    )
    if value is None:
        if clamp:
            return 0
        raise Conflict(
            f"not enough units of {product_id!r} at {node_id!r} to remove {-delta}",
            code="insufficient_stock",
            extra={"product_id": product_id, "fulfillment_node_id": node_id},
        )
    return value


async def take_sold_units(
    session: AsyncSession, tenant: str, node_id: str, product_id: str, units: int
) -> None:
    """Units handed over at a store's till left it: off its on-hand stock, never below zero
    (what the customer holds was there, whatever the stock said). The sale's cart names the
    store, so the location is not looked up again; the update goes with the transaction's next
    statement (every sale runs it: no round trip of its own)."""
    await repository.remove_from_stock_later(
        session, tenant, node_id, product_id, units, clock.now()
    )


async def atp_from_stock(
    session: AsyncSession,
    tenant: str,
    node_ids: Collection[str],
    product_ids: Collection[str],
    *,
    moment: datetime | None = None,
    lock: bool = False,
) -> dict[tuple[str, str], int]:
    """(fulfillment_node_id, product_id) → on-hand minus active reservations, at least 0.

    Every requested pair is in the answer (0 when never stocked). ``lock`` takes the stock rows
    for update on PostgreSQL, for callers that reserve what they read.
    """
    moment = moment or clock.now()
    levels = await repository.on_hand(session, tenant, node_ids, product_ids, lock=lock)
    held = await repository.active_reservation_counts(
        session, tenant, node_ids, product_ids, moment
    )
    return {
        (node, product): max(0, levels.get((node, product), 0) - held.get((node, product), 0))
        for node in node_ids
        for product in product_ids
    }


async def insights(
    session: AsyncSession, tenant: str, product_id: str, node_id: str
) -> dict[str, object]:
    """``GET /v0/stock/insights``: active reservations of a product at a location.

    Allocations are recorded by order routing, which keeps none for orders the external OMS
    routes; the lists are empty until a domain records allocations.
    """
    if not product_id or not node_id:
        raise InvalidInput(
            "'product_id' and 'fulfillment_node_id' are required parameters",
            code="invalid_request",
        )
    moment = clock.now()
    held = await repository.active_reservation_items(
        session, tenant, node_id, product_id, moment, INSIGHTS_LIMIT
    )
    units = await on_hand(session, tenant, node_id, product_id)
    active = await repository.active_reservation_counts(
        session, tenant, [node_id], [product_id], moment
    )
    return {
        "product_id": product_id,
        "fulfillment_node_id": node_id,
        "allocations": [],
        "future_allocations": [],
        "reservations": [
            {
                "created_at": clock.as_utc(reservation.created_at),
                "expires_at": clock.as_utc(item.expires_at),
                "item_uuid": item.order_item_id or item.id,
                "order_uuid": reservation.order_id or reservation.id,
            }
            for item, reservation in held
        ],
        "on_hand": units,
        "atp": max(0, units - active.get((node_id, product_id), 0)),
    }
