"""Placing, reading and moving orders.

Checkout, order injection and returns each build an :class:`OrderDraft` and call
:func:`place_order`, which writes the order, its items and ``order.created`` with one multi-row
INSERT per table (this is a hot path: no ORM flushes). Item statuses move only through
:func:`move_items`, a conditional UPDATE per target status; the order's status is then
recomputed from all its items while the order row is locked, so two transactions completing
different items of one order cannot both leave it "open".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cashwrap.core import clock, sql
from cashwrap.core.errors import Conflict, InvalidTransition, NotFound
from cashwrap.core.ids import new_id
from cashwrap.events import outbox
from cashwrap.orders import events
from cashwrap.orders.models import Order, OrderItem, OrderNumberSequence
from cashwrap.orders.states import (
    ITEM_LIFECYCLE,
    FulfilledBy,
    ItemStatus,
    OrderStatus,
    PaymentStatus,
    order_status,
)

orders_table = cast(Table, Order.__table__)
items_table = cast(Table, OrderItem.__table__)
_INSERT_ORDER = sql.Statement(insert(orders_table))
_SEQUENCES = cast(Table, OrderNumberSequence.__table__)
_INSERT_ITEMS = sql.Statement(insert(items_table))

# The 409 of a number the tenant already has (injection recognizes its own replay by it).
DUPLICATE_ORDER_NUMBER = "duplicate_order_number"


@dataclass(frozen=True)
class ItemDraft:
    """One unit of one product. Money in minor units of the order's currency."""

    product_id: str
    shipping_service_level: str
    fulfilled_by: FulfilledBy
    list_price: int
    price: int
    tax: int = 0
    discount: int = 0
    order_discount: int = 0
    product_name: str | None = None
    external_item_id: str | None = None
    fulfillment_location_id: str | None = None
    shipment_index: int = 0
    status: ItemStatus = ItemStatus.IN_FULFILLMENT
    pricebook: str | None = None
    tax_lines: Sequence[Mapping[str, Any]] = ()
    extended_attributes: Sequence[Mapping[str, Any]] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    addon_parent: int | None = None
    """Index in ``OrderDraft.items`` of the item this one is an add-on of."""
    id: str | None = None
    """The item's id when the caller needs it before placing (order injection answers with it)."""


@dataclass(frozen=True)
class OrderDraft:
    tenant: str
    external_id: str
    source: str
    origin: str
    channel_type: str
    fulfillment_type: str
    currency: str
    items: Sequence[ItemDraft]
    price_method: str = "tax_included"
    channel_name: str | None = None
    payment_status: PaymentStatus = PaymentStatus.NONE
    shipping_total: int = 0
    shipping_tax: int = 0
    shop: str | None = None
    shop_locale: str | None = None
    store_id: str | None = None
    associate_id: str | None = None
    associate_email: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    customer_language: str | None = None
    billing_address: Mapping[str, Any] | None = None
    shipping_address: Mapping[str, Any] | None = None
    extended_attributes: Sequence[Mapping[str, Any]] = ()
    notification_blacklist: Sequence[str] = ()
    is_historical: bool = False
    is_exchange: bool = False
    is_preconfirmed: bool = False
    is_offline: bool = False
    placed_at: datetime | None = None
    fixed_status: str | None = None
    """``failed`` or ``created_for_blind_return``: a status the items cannot express."""
    payments: Sequence[Mapping[str, Any]] = ()
    """A summary of the payments taken, for ``order.created`` (method, type, amount, …)."""
    id: str | None = None


@dataclass(frozen=True)
class PlacedItem:
    id: str
    external_item_id: str | None
    product_id: str


@dataclass(frozen=True)
class PlacedOrder:
    id: str
    external_id: str
    status: str
    items: list[PlacedItem]


@dataclass(frozen=True)
class OrderRecord:
    """An order's row and its items' rows, as plain mappings (safe to use after commit)."""

    order: dict[str, Any]
    items: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.order["id"])


def grand_total(draft: OrderDraft) -> int:
    """What the customer pays: items after discounts, plus shipping, plus tax when excluded."""
    total = sum(item.price - item.order_discount for item in draft.items) + draft.shipping_total
    if draft.price_method == "tax_excluded":
        total += sum(item.tax for item in draft.items) + draft.shipping_tax
    return total


async def place_order(
    session: AsyncSession,
    draft: OrderDraft,
    *,
    emit_created: bool = True,
    hand_over: Collection[int] = (),
    payment_status: PaymentStatus | None = None,
) -> PlacedOrder:
    """Write the order, its items and (unless told not to) ``order.created``, in the caller's
    transaction. A second order with the same number in the tenant is a 409.

    ``hand_over`` (indexes in ``draft.items``) and ``payment_status`` serve a sale completed at
    the till in the same transaction: ``order.created`` shows the order as ``draft`` describes
    it; the rows are written as they stand at commit — those items complete, the order's
    payment status ``payment_status`` — and ``order.completed`` follows when that leaves
    nothing to do (what :func:`complete_items` and :func:`set_payment_status` would do, without
    reading the order back).
    """
    now = clock.now()
    order_id = draft.id or new_id()
    item_ids = [item.id or new_id() for item in draft.items]
    item_rows: list[dict[str, Any]] = [
        {
            "id": item_ids[position],
            "tenant": draft.tenant,
            "order_id": order_id,
            "position": position,
            "external_item_id": item.external_item_id,
            "product_id": item.product_id,
            "product_name": item.product_name,
            "shipping_service_level": item.shipping_service_level,
            "fulfilled_by": str(item.fulfilled_by),
            "fulfillment_location_id": item.fulfillment_location_id,
            "shipment_index": item.shipment_index,
            "status": str(item.status),
            "list_price": item.list_price,
            "price": item.price,
            "tax": item.tax,
            "discount": item.discount,
            "order_discount": item.order_discount,
            "pricebook": item.pricebook,
            "tax_lines": [dict(line) for line in item.tax_lines],
            "extended_attributes": [dict(a) for a in item.extended_attributes],
            "details": dict(item.details),
            "addon_parent_item_id": (
                item_ids[item.addon_parent] if item.addon_parent is not None else None
            ),
            "completed_at": now if item.status is ItemStatus.COMPLETE else None,
            "cancelled_at": now if item.status is ItemStatus.CANCELLED else None,
        }
        for position, item in enumerate(draft.items)
    ]
    status = order_status(
        ((row["status"], row["fulfilled_by"]) for row in item_rows),
        payment_status=str(draft.payment_status),
        fixed=draft.fixed_status,
    )
    order_row = {
        "id": order_id,
        "tenant": draft.tenant,
        "external_id": draft.external_id,
        "source": draft.source,
        "origin": draft.origin,
        "channel_type": draft.channel_type,
        "channel_name": draft.channel_name,
        "fulfillment_type": draft.fulfillment_type,
        "status": str(status),
        "payment_status": str(draft.payment_status),
        "currency": draft.currency,
        "price_method": draft.price_method,
        "subtotal": sum(item.price for item in draft.items),
        "discount_total": sum(item.discount + item.order_discount for item in draft.items),
        "tax_total": sum(item.tax for item in draft.items),
        "shipping_total": draft.shipping_total,
        "shipping_tax": draft.shipping_tax,
        "grand_total": grand_total(draft),
        "shop": draft.shop,
        "shop_locale": draft.shop_locale,
        "store_id": draft.store_id,
        "associate_id": draft.associate_id,
        "associate_email": draft.associate_email,
        "customer_id": draft.customer_id,
        "customer_email": draft.customer_email,
        "customer_name": draft.customer_name,
        "customer_language": draft.customer_language,
        "billing_address": dict(draft.billing_address) if draft.billing_address else None,
        "shipping_address": dict(draft.shipping_address) if draft.shipping_address else None,
        "extended_attributes": [dict(a) for a in draft.extended_attributes],
        "notification_blacklist": list(draft.notification_blacklist),
        "is_historical": draft.is_historical,
        "is_exchange": draft.is_exchange,
        "is_preconfirmed": draft.is_preconfirmed,
        "is_offline": draft.is_offline,
        "placed_at": draft.placed_at or now,
        "created_at": now,
        "updated_at": now,
        "completed_at": now if status is OrderStatus.CLOSED else None,
        "cancelled_at": None,
        "cancellation_reason": None,
        "cancellation_reason_code": None,
    }
    created = events.order_created(order_row, item_rows, draft.payments) if emit_created else None
    if hand_over or payment_status is not None:
        order_row, item_rows = _at_commit(order_row, item_rows, hand_over, payment_status, now)
        status = OrderStatus(str(order_row["status"]))
    # On the driver (cashwrap.core.sql), with the transaction's next statement: the checkout
    # and injection hot paths. A taken number is answered whichever statement sends the row.
    duplicate = Conflict(
        f"order number {draft.external_id!r} already exists", code=DUPLICATE_ORDER_NUMBER
    )
    await sql.insert_later(session, _INSERT_ORDER, [order_row], refusal=duplicate)
    await sql.insert_later(session, _INSERT_ITEMS, item_rows)
    if created is not None:
        await outbox.record(
            session,
            tenant=draft.tenant,
            payload=created,
            entity_type="order",
            entity_id=order_id,
            entity_is_new=True,
        )
    statuses = {row["status"] for row in item_rows}
    if hand_over and ItemStatus.COMPLETE in statuses and statuses <= _DONE:
        await outbox.record(
            session,
            tenant=draft.tenant,
            payload=events.order_completed(order_row, item_rows, now),
            entity_type="order",
            entity_id=order_id,
        )
    return PlacedOrder(
        id=order_id,
        external_id=draft.external_id,
        status=str(status),
        items=[
            PlacedItem(item_ids[position], item.external_item_id, item.product_id)
            for position, item in enumerate(draft.items)
        ],
    )


def _at_commit(
    order_row: dict[str, Any],
    item_rows: list[dict[str, Any]],
    hand_over: Collection[int],
    payment_status: PaymentStatus | None,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rows of a just-placed order after its ``hand_over`` items were taken and its payment
    moved to ``payment_status`` (same checks as :func:`move_items`)."""
    items = list(item_rows)
    for index in hand_over:
        ITEM_LIFECYCLE.check(items[index]["status"], ItemStatus.COMPLETE)
        items[index] = {**items[index], "status": str(ItemStatus.COMPLETE), "completed_at": now}
    paid = str(payment_status) if payment_status is not None else order_row["payment_status"]
    fixed = order_row["status"] if order_row["status"] in _FIXED else None
    status = order_status(
        ((item["status"], item["fulfilled_by"]) for item in items), payment_status=paid, fixed=fixed
    )
    order = {**order_row, "status": str(status), "payment_status": paid}
    if status is OrderStatus.CLOSED:
        order["completed_at"] = order["completed_at"] or now
    return order, items


async def next_order_number(session: AsyncSession, tenant: str, prefix: str) -> str:
    """The tenant's next checkout order number (``<prefix><n>``), unique under concurrency.

    One upsert that increments and returns the counter: concurrent checkouts queue on the
    counter's row instead of reading the same value.
    """
    statement = _NEXT_NUMBER[session.get_bind().dialect.name == "postgresql"]
    ((value,),) = await sql.fetch(session, statement, {"tenant": tenant})
    return order_number(prefix, value)


async def reserve_order_number(engine: AsyncEngine, tenant: str) -> int:
    """The tenant's next counter value, taken by a statement that commits by itself: the
    counter's row is locked for that one statement, not for the transaction of a whole
    checkout. A value reserved and never used leaves a gap, which order numbers may have."""
    statement = _NEXT_NUMBER[engine.dialect.name == "postgresql"]
    ((value,),) = await sql.fetch_alone(engine, statement, {"tenant": tenant})
    return int(value)


def order_number(prefix: str, value: int) -> str:
    """A checkout order number: the configured prefix and the counter, six digits at least."""
    return f"{prefix}{value:06d}"


def _next_number(dialect_insert: Any) -> sql.Statement:
    upsert = dialect_insert(_SEQUENCES).values(tenant=bindparam("tenant"), next_value=1)
    return sql.Statement(
        upsert.on_conflict_do_update(
            index_elements=[_SEQUENCES.c.tenant],
            set_={"next_value": _SEQUENCES.c.next_value + 1},
        ).returning(_SEQUENCES.c.next_value)
    )


# Built once: every checkout takes a number.
_NEXT_NUMBER = {False: _next_number(sqlite.insert), True: _next_number(postgresql.insert)}


async def get_order(
    session: AsyncSession,
    tenant: str,
    *,
    order_id: str | None = None,
    external_id: str | None = None,
    for_update: bool = False,
) -> OrderRecord:
    """An order by its platform id or by its number; another tenant's order is not found."""
    query = select(orders_table).where(orders_table.c.tenant == tenant)
    if order_id is not None:
        query = query.where(orders_table.c.id == order_id)
    elif external_id is not None:
        query = query.where(orders_table.c.external_id == external_id)
    else:
        raise ValueError("get_order needs order_id or external_id")
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound(f"order {order_id or external_id} not found", code="order_not_found")
    items = (
        (
            await session.execute(
                select(items_table)
                .where(items_table.c.order_id == row["id"])
                .order_by(items_table.c.position)
            )
        )
        .mappings()
        .all()
    )
    return OrderRecord(order=dict(row), items=[dict(item) for item in items])


async def find_order(session: AsyncSession, tenant: str, id_or_number: str) -> OrderRecord:
    """By platform id first, then by order number (for APIs that accept either)."""
    try:
        return await get_order(session, tenant, order_id=id_or_number)
    except NotFound:
        return await get_order(session, tenant, external_id=id_or_number)


async def orders_by_id(
    session: AsyncSession, tenant: str, order_ids: Sequence[str]
) -> dict[str, OrderRecord]:
    """Several orders by platform id, with their items (two queries); missing ones are left out."""
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        return {}
    rows = (
        (
            await session.execute(
                select(orders_table).where(
                    orders_table.c.tenant == tenant, orders_table.c.id.in_(wanted)
                )
            )
        )
        .mappings()
        .all()
    )
    found: dict[str, OrderRecord] = {row["id"]: OrderRecord(dict(row), []) for row in rows}
    if not found:
        return {}
    item_rows = (
        await session.execute(
            select(items_table)
            .where(items_table.c.order_id.in_(list(found)))
            .order_by(items_table.c.order_id, items_table.c.position)
        )
    ).mappings()
    for item in item_rows:
        found[item["order_id"]].items.append(dict(item))
    return found


async def list_orders(
    session: AsyncSession,
    tenant: str,
    *,
    customer_id: str | None = None,
    customer_email: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[OrderRecord]:
    """A customer's orders, newest first."""
    query = select(orders_table).where(orders_table.c.tenant == tenant)
    if customer_id is not None:
        query = query.where(orders_table.c.customer_id == customer_id)
    if customer_email is not None:
        query = query.where(func.lower(orders_table.c.customer_email) == customer_email.lower())
    query = query.order_by(orders_table.c.placed_at.desc(), orders_table.c.id.desc())
    rows = (await session.execute(query.limit(limit).offset(offset))).mappings().all()
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    item_rows = (
        (
            await session.execute(
                select(items_table)
                .where(items_table.c.order_id.in_(ids))
                .order_by(items_table.c.order_id, items_table.c.position)
            )
        )
        .mappings()
        .all()
    )
    by_order: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in ids}
    for item in item_rows:
        by_order[item["order_id"]].append(dict(item))
    return [OrderRecord(order=dict(row), items=by_order[row["id"]]) for row in rows]


async def move_items(
    session: AsyncSession,
    tenant: str,
    order_id: str,
    item_ids: Sequence[str],
    target: ItemStatus,
    *,
    at: datetime | None = None,
    values: Mapping[str, Any] | None = None,
) -> OrderRecord:
    """Move items to ``target`` and recompute the order's status; returns the order after.

    The order row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions
    are serialized), then each item moves with a conditional UPDATE from the status it was read
    in. An item that another transaction moved in between makes the whole call a 409.
    """
    moment = at or clock.now()
    before = await get_order(session, tenant, order_id=order_id, for_update=True)
    wanted = set(item_ids)
    chosen = [item for item in before.items if item["id"] in wanted]
    missing = wanted - {item["id"] for item in chosen}
    if missing:
        raise NotFound(
            f"order {order_id} has no item {sorted(missing)[0]}", code="order_item_not_found"
        )
    extra: dict[str, Any] = dict(values or {})
    if target is ItemStatus.COMPLETE:
        extra.setdefault("completed_at", moment)
    if target is ItemStatus.CANCELLED:
        extra.setdefault("cancelled_at", moment)
    by_status: dict[str, list[str]] = {}
    for item in chosen:
        ITEM_LIFECYCLE.check(item["status"], target)
        by_status.setdefault(item["status"], []).append(item["id"])
    for current, ids in by_status.items():
        result = await session.execute(
            update(items_table)
            .where(items_table.c.id.in_(ids), items_table.c.status == current)
            .values(status=str(target), **extra)
        )
        if getattr(result, "rowcount", 0) != len(ids):
            raise InvalidTransition(
                f"items of order {order_id} were changed concurrently",
                code="concurrent_modification",
            )
    after_items = [
        {**item, "status": str(target), **extra} if item["id"] in wanted else item
        for item in before.items
    ]
    changes = await _recompute_status(session, before.order, after_items, moment)
    return OrderRecord(order={**before.order, **changes}, items=after_items)


async def _recompute_status(
    session: AsyncSession,
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    moment: datetime,
    *,
    payment_status: str | None = None,
) -> dict[str, Any]:
    """Store the status derived from ``items`` (the caller holds the order row's lock)."""
    fixed = order["status"] if order["status"] in _FIXED else None
    status = order_status(
        ((item["status"], item["fulfilled_by"]) for item in items),
        payment_status=payment_status or order["payment_status"],
        fixed=fixed,
    )
    changes: dict[str, Any] = {"status": str(status), "updated_at": moment}
    if payment_status is not None:
        changes["payment_status"] = payment_status
    if status is OrderStatus.CLOSED and order["completed_at"] is None:
        changes["completed_at"] = moment
    await session.execute(
        update(orders_table).where(orders_table.c.id == order["id"]).values(**changes)
    )
    return changes


async def complete_items(
    session: AsyncSession,
    tenant: str,
    order_id: str,
    item_ids: Sequence[str],
    *,
    at: datetime | None = None,
) -> OrderRecord:
    """Items handed over or shipped; ``order.completed`` once every item is done and at least
    one was completed (an order whose items were all cancelled is not "completed")."""
    moment = at or clock.now()
    after = await move_items(session, tenant, order_id, item_ids, ItemStatus.COMPLETE, at=moment)
    statuses = {item["status"] for item in after.items}
    if ItemStatus.COMPLETE in statuses and statuses <= _DONE:
        await outbox.record(
            session,
            tenant=tenant,
            payload=events.order_completed(after.order, after.items, moment),
            entity_type="order",
            entity_id=order_id,
        )
    return after


async def cancel_order(
    session: AsyncSession,
    tenant: str,
    order_id: str,
    *,
    reason: str,
    reason_code: str | None = None,
    note: str | None = None,
    associate_id: str | None = None,
) -> OrderRecord:
    """Cancel every item not yet done and emit ``order.cancelled`` with the reason.

    An order with nothing left to cancel (every item complete, cancelled or returned) is a 409
    ``order_not_cancelable``.
    """
    moment = clock.now()
    before = await get_order(session, tenant, order_id=order_id, for_update=True)
    open_items = [item["id"] for item in before.items if item["status"] not in _DONE]
    if not open_items:
        raise Conflict(
            f"order {before.order['external_id']} has nothing left to cancel",
            code="order_not_cancelable",
        )
    after = await move_items(session, tenant, order_id, open_items, ItemStatus.CANCELLED, at=moment)
    changes = {
        "cancelled_at": moment,
        "cancellation_reason": reason[:512],
        "cancellation_reason_code": reason_code,
    }
    await session.execute(
        update(orders_table).where(orders_table.c.id == order_id).values(**changes)
    )
    cancelled = [item for item in after.items if item["id"] in set(open_items)]
    await outbox.record(
        session,
        tenant=tenant,
        payload=events.order_cancelled(
            after.order,
            cancelled,
            cancelled_at=moment,
            reason=reason,
            reason_code=reason_code,
            note=note,
            associate_id=associate_id,
        ),
        entity_type="order",
        entity_id=order_id,
    )
    return OrderRecord(order={**after.order, **changes}, items=after.items)


async def cancel_items(
    session: AsyncSession,
    tenant: str,
    order_id: str,
    item_ids: Sequence[str],
    *,
    reason: str | None = None,
) -> OrderRecord:
    """Cancel some items and emit ``order.items_cancelled``."""
    moment = clock.now()
    after = await move_items(session, tenant, order_id, item_ids, ItemStatus.CANCELLED, at=moment)
    wanted = set(item_ids)
    await outbox.record(
        session,
        tenant=tenant,
        payload=events.order_items_cancelled(
            after.order,
            [item for item in after.items if item["id"] in wanted],
            cancelled_at=moment,
            reason=reason,
        ),
        entity_type="order",
        entity_id=order_id,
    )
    return after


async def set_payment_status(
    session: AsyncSession, tenant: str, order_id: str, status: PaymentStatus
) -> OrderRecord:
    """Record the payment account's new status; the order's status follows (an endless-aisle
    order is done for the platform once it is paid)."""
    before = await get_order(session, tenant, order_id=order_id, for_update=True)
    changes = await _recompute_status(
        session, before.order, before.items, clock.now(), payment_status=str(status)
    )
    return OrderRecord(order={**before.order, **changes}, items=before.items)


_DONE = frozenset({ItemStatus.COMPLETE, ItemStatus.CANCELLED, ItemStatus.RETURNED})
_FIXED = frozenset({OrderStatus.FAILED, OrderStatus.CREATED_FOR_BLIND_RETURN})
