"""The store's work on a fulfillment request: start, pick, pack, get ready, hand over — or fail.

Every status change is a guarded conditional UPDATE (:data:`REQUEST_LIFECYCLE`): of two
associates acting on one request at once, one wins and the other gets 409. Each function runs in
the caller's transaction and records its events there.

Failing (mispick: an item is not on the shelf; mispack: an item is damaged) means the store
cannot fulfil the order: the request becomes ``failed`` with ``fulfillment_request.items_failed``,
the **whole order is cancelled** with ``order.cancelled`` and the reason, the order's other open
requests are cancelled, its reservations are released, and the missing or damaged units leave
the location's on-hand stock. The external OMS re-routes the order under a new order number
(the seed's loop).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from cashwrap.core.states import transition
from cashwrap.events import outbox
from cashwrap.fulfillment import events, repository
from cashwrap.fulfillment.service import records
from cashwrap.fulfillment.service.records import RequestRecord
from cashwrap.fulfillment.states import (
    OPEN_STATUSES,
    REQUEST_LIFECYCLE,
    ItemState,
    Kind,
    RequestStatus,
)
from cashwrap.locations import service as locations
from cashwrap.orders import service as orders

_PICKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

MISPICK = "mispick"
MISPACK = "mispack"
REASONS = {
    MISPICK: "Item not found in the store (mispick)",
    MISPACK: "Item damaged while packing (mispack)",
}


async def open_record(
    session: AsyncSession, tenant: str, store_id: str, request_id: str
) -> RequestRecord:
    """The store's request, still open, whose order still has items to fulfil here.

    A request whose order was cancelled meanwhile (by the OMS or a cancellation) is 409
    ``order_cancelled``; a closed one, 409 ``invalid_transition``.
    """
    record = await records.get(session, tenant, request_id, store_id=store_id, for_update=True)
    if record.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"fulfillment request {request_id} is {record.status}",
            extra={"current_status": record.status},
        )
    if not record.open_items():
        raise Conflict(
            f"order {record.request['external_order_id']} was cancelled; nothing to fulfil",
            code="order_cancelled",
        )
    return record


async def move_request(
    session: AsyncSession, record: RequestRecord, target: RequestStatus, **values: Any
) -> None:
    await transition(
        session,
        repository.REQUESTS,
        lifecycle=REQUEST_LIFECYCLE,
        row_id=record.id,
        current=record.status,
        target=target,
        values={"updated_at": clock.now(), **values},
    )
    record.request = {**record.request, "status": str(target), **values}


async def start(
    session: AsyncSession, tenant: str, store_id: str, request_id: str, associate_id: str
) -> RequestRecord:
    """An associate takes the request (``dispatched → picking``). Taking it again is a no-op
    for the same associate."""
    record = await open_record(session, tenant, store_id, request_id)
    if record.status == RequestStatus.PICKING and record.request["associate_id"] == associate_id:
        return record
    await move_request(session, record, RequestStatus.PICKING, associate_id=associate_id)
    return record


def _chosen(record: RequestRecord, item_ids: Sequence[str] | None) -> list[dict[str, Any]]:
    open_items = record.open_items()
    if item_ids is None:
        return open_items
    if len(set(item_ids)) != len(item_ids):
        raise InvalidInput("an item is listed more than once", code="duplicate_item")
    by_id = {item["item_id"]: item for item in open_items}
    unknown = [item_id for item_id in item_ids if item_id not in by_id]
    if unknown:
        raise NotFound(
            f"fulfillment request {record.id} has no open item {unknown[0]}",
            code="fulfillment_request_item_not_found",
        )
    return [by_id[item_id] for item_id in item_ids]


async def pick(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    item_ids: Sequence[str] | None,
) -> RequestRecord:
    """Items found on the shelf; once every open item is picked, ``picked``. Picking from
    ``dispatched`` takes the request first."""
    record = await open_record(session, tenant, store_id, request_id)
    if record.status == RequestStatus.DISPATCHED:
        await move_request(session, record, RequestStatus.PICKING, associate_id=associate_id)
    elif record.status != RequestStatus.PICKING:
        REQUEST_LIFECYCLE.check(record.status, RequestStatus.PICKED)
    chosen = _chosen(record, item_ids)
    moment = clock.now()
    fresh = [item["item_id"] for item in chosen if item["picked_at"] is None]
    if fresh:
        await repository.mark_items(session, record.id, fresh, {"picked_at": moment})
    picked = {item["item_id"] for item in chosen}
    for item in record.items:
        if item["item_id"] in fresh:
            item["picked_at"] = moment
    if all(
        item["picked_at"] is not None or item["item_id"] in picked for item in record.open_items()
    ):
        await move_request(session, record, RequestStatus.PICKED, associate_id=associate_id)
    return record


async def pack(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    package: dict[str, Any] | None,
) -> RequestRecord:
    """Every picked item goes into the package (``picked → packed``)."""
    record = await open_record(session, tenant, store_id, request_id)
    REQUEST_LIFECYCLE.check(record.status, RequestStatus.PACKED)
    moment = clock.now()
    ids = [item["item_id"] for item in record.open_items()]
    await repository.mark_items(session, record.id, ids, {"packed_at": moment})
    for item in record.items:
        if item["item_id"] in ids:
            item["packed_at"] = moment
    await move_request(
        session, record, RequestStatus.PACKED, associate_id=associate_id, package=package
    )
    return record


async def ready_for_pickup(
    session: AsyncSession, tenant: str, store_id: str, request_id: str, associate_id: str
) -> RequestRecord:
    """Pick-up in store: the pickup label is printed and the customer can come
    (``packed → ready_for_handover``, ``fulfillment_request.items_ready_for_handover``)."""
    record = await open_record(session, tenant, store_id, request_id)
    require_kind(record, Kind.PICKUP)
    REQUEST_LIFECYCLE.check(record.status, RequestStatus.READY_FOR_HANDOVER)
    code = "".join(secrets.choice(_PICKUP_ALPHABET) for _ in range(6))
    await move_request(
        session,
        record,
        RequestStatus.READY_FOR_HANDOVER,
        associate_id=associate_id,
        pickup_code=code,
    )
    await record_event(
        session,
        tenant,
        record,
        events.ready_for_handover(record.request, record.open_items(), associate_id),
    )
    return record


async def booked(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    *,
    carrier: str | None,
    rate: str | None,
    tracking_code: str,
    shipment_id: str,
    label: dict[str, Any],
) -> RequestRecord:
    """Ship from store: the carrier booked the shipment; the label waits on the parcel for the
    carrier (``packed → ready_for_handover``, ``fulfillment_request.items_ready_for_handover``)."""
    record = await open_record(session, tenant, store_id, request_id)
    require_kind(record, Kind.SHIP)
    await move_request(
        session,
        record,
        RequestStatus.READY_FOR_HANDOVER,
        associate_id=associate_id,
        carrier=carrier,
        rate=rate,
        tracking_code=tracking_code,
        shipment_id=shipment_id,
        label=label,
    )
    open_items = [
        {**item, "carrier": carrier, "tracking_code": tracking_code} for item in record.open_items()
    ]
    await record_event(
        session, tenant, record, events.ready_for_handover(record.request, open_items, associate_id)
    )
    return record


async def mispick(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    item_ids: Sequence[str],
    note: str | None,
) -> RequestRecord:
    """Items are not on the shelf (reported while picking): the request fails and the order is
    cancelled with reason ``mispick``; the missing units leave the on-hand stock."""
    return await _items_lost(
        session, tenant, store_id, request_id, associate_id, item_ids, note,
        reason_code=MISPICK, step="picking",
        allowed=(RequestStatus.DISPATCHED, RequestStatus.PICKING),
    )  # fmt: skip


async def mispack(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    item_ids: Sequence[str],
    note: str | None,
) -> RequestRecord:
    """Items are damaged (found while packing): the request fails and the order is cancelled
    with reason ``mispack``; the damaged units leave the on-hand stock."""
    return await _items_lost(
        session, tenant, store_id, request_id, associate_id, item_ids, note,
        reason_code=MISPACK, step="packing",
        allowed=(RequestStatus.PICKED, RequestStatus.PACKED),
    )  # fmt: skip


async def _items_lost(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    item_ids: Sequence[str],
    note: str | None,
    *,
    reason_code: str,
    step: str,
    allowed: tuple[RequestStatus, ...],
) -> RequestRecord:
    record = await open_record(session, tenant, store_id, request_id)
    if record.status not in allowed:
        raise InvalidTransition(
            f"a {reason_code} is reported while {step}; fulfillment request {request_id} is "
            f"{record.status}",
            extra={"current_status": record.status},
        )
    chosen = [item["item_id"] for item in _chosen(record, item_ids)]
    return await fail(
        session,
        tenant,
        record,
        chosen,
        reason_code=reason_code,
        reason=REASONS[reason_code],
        note=note,
        associate_id=associate_id,
        remove_stock=True,
    )


async def hand_over_to_customer(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    pickup_code: str | None,
) -> RequestRecord:
    """Pick-up in store: the customer takes the items (``ready_for_handover → completed``)."""
    record = await open_record(session, tenant, store_id, request_id)
    require_kind(record, Kind.PICKUP)
    REQUEST_LIFECYCLE.check(record.status, RequestStatus.COMPLETED)
    check_pickup_code(record, pickup_code)
    return await complete(session, tenant, record, associate_id)


def require_kind(record: RequestRecord, kind: Kind) -> None:
    if record.request["kind"] != kind:
        other = "pick-up in store" if record.request["kind"] == Kind.PICKUP else "ship from store"
        raise Conflict(
            f"fulfillment request {record.id} is {other}",
            code="wrong_fulfillment_kind",
            extra={"kind": record.request["kind"]},
        )


def check_pickup_code(record: RequestRecord, pickup_code: str | None) -> None:
    if pickup_code is not None and pickup_code.upper() != record.request["pickup_code"]:
        raise InvalidInput("the pickup code does not match this order", code="pickup_code_mismatch")


async def complete(
    session: AsyncSession,
    tenant: str,
    record: RequestRecord,
    associate_id: str | None,
) -> RequestRecord:
    """Handed over to the customer or to the carrier: the request and its items are done
    (``fulfillment_request.items_completed``), the order items complete (``order.completed``
    once the whole order is), and the held units leave the stock."""
    moment = clock.now()
    open_items = record.open_items()
    ids = [item["item_id"] for item in open_items]
    carrier = record.request["carrier"]
    tracking_code = record.request["tracking_code"]
    await move_request(
        session, record, RequestStatus.COMPLETED, completed_at=moment, **_associate(associate_id)
    )
    values = {
        "status": str(ItemState.SHIPPED),
        "shipped_at": moment,
        "carrier": carrier,
        "tracking_code": tracking_code,
    }
    await move_items(session, record, ids, ItemState.DISPATCHED, values)
    await record_event(
        session,
        tenant,
        record,
        events.completed(
            record.request,
            [{**item, **values} for item in open_items],
            associate_id or record.request["associate_id"],
            moment,
        ),
    )
    await orders.complete_items(session, tenant, record.request["order_id"], ids, at=moment)
    await settle_reservation(session, tenant, record.request["reservation_id"], ids, convert=True)
    return record


async def fail(
    session: AsyncSession,
    tenant: str,
    record: RequestRecord,
    failing_ids: Collection[str],
    *,
    reason_code: str,
    reason: str,
    note: str | None,
    associate_id: str | None,
    remove_stock: bool,
    status: RequestStatus = RequestStatus.FAILED,
) -> RequestRecord:
    """The store cannot fulfil the request: it fails (or is cancelled, when the carrier would
    not book it), and the whole order is cancelled (see the module)."""
    request = record.request
    open_items = record.open_items()
    failing = [item for item in open_items if item["item_id"] in failing_ids]
    others = [item for item in open_items if item["item_id"] not in failing_ids]
    await move_request(
        session, record, status, failure_reason=reason_code, **_associate(associate_id)
    )
    await move_items(
        session,
        record,
        [item["item_id"] for item in failing],
        ItemState.DISPATCHED,
        {"status": str(ItemState.REJECTED), "reason": reason_code},
    )
    await move_items(
        session,
        record,
        [item["item_id"] for item in others],
        ItemState.DISPATCHED,
        {"status": str(ItemState.CANCELLED), "reason": reason_code},
    )
    await record_event(
        session,
        tenant,
        record,
        events.failed(request, open_items, associate_id or request["associate_id"], reason_code),
    )
    await orders.cancel_order(
        session,
        tenant,
        request["order_id"],
        reason=reason,
        reason_code=reason_code,
        note=note,
        associate_id=associate_id,
    )
    await cancel_other_requests(
        session, tenant, request["order_id"], except_id=record.id, reason=reason_code
    )
    await settle_reservation(session, tenant, request["reservation_id"], None, convert=False)
    if remove_stock:
        for item in failing:
            await locations.adjust_stock(
                session, tenant, request["fulfillment_node_id"], item["product_id"], -1, clamp=True
            )
    return record


async def cancel_other_requests(
    session: AsyncSession, tenant: str, order_id: str, *, except_id: str | None, reason: str
) -> None:
    """The order was cancelled: its other open requests are cancelled and release their units."""
    for row in await repository.requests_of_order(session, tenant, order_id):
        if row["id"] == except_id or row["status"] not in OPEN_STATUSES:
            continue
        other = (await records.load(session, tenant, [row]))[0]
        await cancel_request(session, other, reason=reason)


async def cancel_request(session: AsyncSession, record: RequestRecord, *, reason: str) -> None:
    """Close an open request whose order is cancelled: its units go back to the shelf."""
    await move_request(session, record, RequestStatus.CANCELLED, failure_reason=reason)
    ids = [item["item_id"] for item in record.items if item["status"] == ItemState.DISPATCHED]
    await move_items(
        session,
        record,
        ids,
        ItemState.DISPATCHED,
        {"status": str(ItemState.CANCELLED), "reason": reason},
    )
    await settle_reservation(
        session,
        str(record.request["tenant"]),
        record.request["reservation_id"],
        None,
        convert=False,
    )


async def move_items(
    session: AsyncSession,
    record: RequestRecord,
    item_ids: Sequence[str],
    current: ItemState,
    values: dict[str, Any],
) -> None:
    if not item_ids:
        return
    moved = await repository.move_items(
        session, record.id, item_ids, current=current, values=values
    )
    if moved != len(item_ids):
        raise InvalidTransition(
            f"items of fulfillment request {record.id} were changed concurrently",
            code="concurrent_modification",
        )
    for item in record.items:
        if item["item_id"] in item_ids:
            item.update(values)
            item["state"] = values.get("status", item["state"])


async def settle_reservation(
    session: AsyncSession,
    tenant: str,
    reservation_id: str | None,
    order_item_ids: Collection[str] | None,
    *,
    convert: bool,
) -> None:
    """Convert (sold: units leave on-hand) or release the reservation's units of these order
    items (all of them when None)."""
    if reservation_id is None:
        return
    with suppress(NotFound):
        await locations.settle_order_items(
            session, tenant, reservation_id, order_item_ids, convert=convert
        )


async def record_event(
    session: AsyncSession, tenant: str, record: RequestRecord, payload: Any
) -> None:
    await outbox.record(
        session,
        tenant=tenant,
        payload=payload,
        entity_type="fulfillment_request",
        entity_id=record.id,
    )


def _associate(associate_id: str | None) -> dict[str, Any]:
    return {"associate_id": associate_id} if associate_id else {}
