"""``POST /v0/fulfillment_request/{ffr_uuid}/set_items_states`` (c.3): the OMS marks items of a
request shipped or rejected.

The reference's rules, each refused with 400 and nothing changed:

* one call ships **or** rejects, never both (``mixed_item_states``);
* a request at a store is only updated before an associate has taken it
  (``fulfillment_request_in_progress``);
* only items not yet in a final state (``item_in_final_state``);
* rejecting a store's items needs the reason ``rescinded`` (``rescinded_reason_required``): it
  gives the items back without touching the inventory.

Shipped items complete their order items (``order.completed`` once the whole order is) with **one
``fulfillment_request.items_completed`` per item**, as documented. Rejected items send
``fulfillment_request.items_failed``; once every item of the request is final, the rejected ones
are cancelled in the order (``order.cancelled`` when nothing else of the order is open,
otherwise ``order.items_cancelled``) and their held units are released: with an external OMS,
re-routing is the OMS's decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import InvalidInput, NotFound
from cashwrap.fulfillment import events
from cashwrap.fulfillment.service import records, work
from cashwrap.fulfillment.states import (
    REQUEST_LIFECYCLE,
    TERMINAL_ITEM_STATES,
    ItemState,
    RequestStatus,
)
from cashwrap.orders import service as orders

RESCINDED = "rescinded"


async def set_items_states(
    session: AsyncSession,
    tenant: str,
    request_id: str,
    line_items: Sequence[tuple[str, str]],
    *,
    carrier: str | None,
    tracking_code: str | None,
    associate_id: str | None,
    reason: Any,
) -> None:
    """Apply ``(item_id, shipped | rejected)`` to the request's items (see the module)."""
    targets = {state for _, state in line_items}
    if len(targets) > 1:
        raise InvalidInput(
            "one call ships items or rejects them, not both", code="mixed_item_states"
        )
    ids = [item_id for item_id, _ in line_items]
    if len(set(ids)) != len(ids):
        raise InvalidInput("an item is listed more than once", code="duplicate_item")
    record = await records.get(session, tenant, request_id, for_update=True)
    by_id = {item["item_id"]: item for item in record.items}
    unknown = [item_id for item_id in ids if item_id not in by_id]
    if unknown:
        raise NotFound(
            f"fulfillment request {request_id} has no item {unknown[0]}",
            code="fulfillment_request_item_not_found",
        )
    if record.request["store_id"] is not None and record.status != RequestStatus.DISPATCHED:
        raise InvalidInput(
            f"fulfillment request {request_id} was already taken by a store associate "
            f"({record.status}); its items can no longer be updated",
            code="fulfillment_request_in_progress",
            extra={"current_status": record.status},
        )
    final = [item_id for item_id in ids if by_id[item_id]["state"] in TERMINAL_ITEM_STATES]
    if final:
        raise InvalidInput(
            f"item {final[0]} is already {by_id[final[0]]['state']}", code="item_in_final_state"
        )
    target = targets.pop()
    if target == ItemState.SHIPPED:
        await _ship(session, tenant, record, ids, carrier, tracking_code, associate_id)
    else:
        if record.request["store_id"] is not None and reason != RESCINDED:
            raise InvalidInput(
                "rejecting items of a store's fulfillment request needs the reason 'rescinded'",
                code="rescinded_reason_required",
            )
        await _reject(session, tenant, record, ids, str(reason) if reason else None, associate_id)
    if all(item["state"] in TERMINAL_ITEM_STATES for item in record.items):
        REQUEST_LIFECYCLE.check(record.status, RequestStatus.COMPLETED)
        await work.move_request(session, record, RequestStatus.COMPLETED, completed_at=clock.now())
        rejected = [item["item_id"] for item in record.items if item["state"] == ItemState.REJECTED]
        if rejected:
            await _cancel_rejected(session, tenant, record, rejected)


async def _ship(
    session: AsyncSession,
    tenant: str,
    record: records.RequestRecord,
    ids: list[str],
    carrier: str | None,
    tracking_code: str | None,
    associate_id: str | None,
) -> None:
    moment = clock.now()
    values = {
        "status": str(ItemState.SHIPPED),
        "shipped_at": moment,
        "carrier": carrier,
        "tracking_code": tracking_code,
    }
    await work.move_items(session, record, ids, ItemState.DISPATCHED, values)
    for item in record.items:
        if item["item_id"] in ids:
            await work.record_event(
                session,
                tenant,
                record,
                events.completed(record.request, [item], associate_id, moment),
            )
    await orders.complete_items(session, tenant, record.request["order_id"], ids, at=moment)
    await work.settle_reservation(
        session, tenant, record.request["reservation_id"], ids, convert=True
    )


async def _reject(
    session: AsyncSession,
    tenant: str,
    record: records.RequestRecord,
    ids: list[str],
    reason: str | None,
    associate_id: str | None,
) -> None:
    values = {"status": str(ItemState.REJECTED), "reason": (reason or "rejected")[:64]}
    await work.move_items(session, record, ids, ItemState.DISPATCHED, values)
    rejected = [item for item in record.items if item["item_id"] in ids]
    await work.record_event(
        session,
        tenant,
        record,
        events.failed(record.request, rejected, associate_id, values["reason"]),
    )


async def _cancel_rejected(
    session: AsyncSession, tenant: str, record: records.RequestRecord, ids: list[str]
) -> None:
    """Cancel the rejected order items (the whole order when nothing else is open) and release
    their held units, leaving on-hand stock as it was."""
    order_id = record.request["order_id"]
    order = await orders.get_order(session, tenant, order_id=order_id)
    still_open = [
        item["id"]
        for item in order.items
        if item["status"] not in ("complete", "cancelled", "returned") and item["id"] not in ids
    ]
    cancellable = [
        item["id"]
        for item in order.items
        if item["id"] in ids and item["status"] not in ("complete", "cancelled", "returned")
    ]
    if cancellable and not still_open:
        await orders.cancel_order(
            session,
            tenant,
            order_id,
            reason="The fulfillment location rejected the items (rescinded)",
            reason_code=RESCINDED,
        )
    elif cancellable:
        await orders.cancel_items(session, tenant, order_id, cancellable, reason=RESCINDED)
    await work.settle_reservation(
        session, tenant, record.request["reservation_id"], ids, convert=False
    )
