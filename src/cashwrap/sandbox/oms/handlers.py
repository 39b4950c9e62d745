"""How the sandbox OMS consumes the event stream (the seed's sequences, from the OMS's side).

Each handler runs in the delivery's transaction (``event.session``), so an event's effects and
its de-duplication receipt commit together. An event about an order the OMS does not know yet
is :class:`~cashwrap.sdk.events.Deferred` until its ``order.created`` arrives (deliveries come in
any order).

=================================== =============================================================
``order.created`` / ``order.opened`` the OMS creates its order (``origin`` newstore, ``origin_id``
                                    = the platform's order id) and routes its shipped items
                                    (:mod:`.routing`). Its own store fulfillments, injected
                                    under their own numbers, are recognised and not re-created.
``order.completed``                 completes the order (C&C handover); for a store fulfillment
                                    it completes the items that store fulfilled.
``payment_account.amount_captured`` marks the order paid and adds the payment to its history
``payment_account.amount_refunded`` adds the refund to its history
``order.cancelled``                 of a **store fulfillment** (mispick, mispack, auto-cancel):
                                    the trigger to re-route its items to another store under a
                                    new order number. Of any other order: **ignored** (below).
``order.items_cancelled``           ignored (below)
``fulfillment_request.*``           tracked on the store fulfillment they concern
``return.processed``                the returned items read ``returned`` in the order history
=================================== =============================================================

**What is ignored, and why.** The seed advises an OMS syncing with the event stream to ignore
"order_cancelled or order_pending" data, to keep its statuses accurate: the OMS is the system
of record of the orders it manages. So ``order.cancelled`` and ``order.items_cancelled`` about
an order the OMS owns (a platform order it routed itself) change nothing in the OMS — the
platform's word is recorded (``platform_status``) and shown in the event log, never applied;
and the platform's ``pending`` item status (an order in its grace period) is not copied into
the OMS's item statuses (``in_fulfillment`` until the OMS fulfils them). The one
``order.cancelled`` that is *not* ignored is that of an order the OMS injected for store
fulfillment: there the platform cancelled the OMS's request to a store (mispick, mispack,
unknown location, no shipping option), and the seed's answer is to re-route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.events.catalog import (
    FulfillmentRequestAssigned,
    FulfillmentRequestItemsCompleted,
    FulfillmentRequestItemsFailed,
    FulfillmentRequestItemsReadyForHandover,
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderItemsCancelled,
    OrderOpened,
    PaymentAccountAmountAuthorized,
    PaymentAccountAmountCaptured,
    PaymentAccountAmountRefunded,
    PaymentAccountPayload,
    RefundRequestIssued,
    ReturnProcessed,
)
from cashwrap.sandbox.common.app import Sandbox
from cashwrap.sandbox.oms.models import Fulfillment, OmsOrder, Stock
from cashwrap.sandbox.oms.orders import (
    by_origin_id,
    document_from,
    set_document,
    set_items,
    store_copy,
)
from cashwrap.sandbox.oms.routing import route
from cashwrap.sdk.events import Deferred, Event, EventReceiver

logger = logging.getLogger("cashwrap.sandbox.oms")

# What the OMS did with the events of the current delivery, by idempotency key: the route
# writes it into the event log next to the outcome.
NOTES: ContextVar[dict[str, str]] = ContextVar("oms_notes")
ACTIVE_COPY = ("pending", "injecting", "injected", "assigned")


def note(event: Event[Any], text: str) -> None:
    notes = NOTES.get(None)
    if notes is not None:
        notes[event.idempotency_key] = text


def _session(event: Event[Any]) -> AsyncSession:
    assert event.session is not None, "the OMS's receiver runs in its transactions"
    return event.session


def _newer(order: OmsOrder, event: Event[Any]) -> bool:
    """Whether the event is newer than the last one applied to the order (drops stale ones)."""
    stamp = event.logical_timestamp
    if stamp is None:
        return True
    if stamp <= order.last_logical_timestamp:
        return False
    order.last_logical_timestamp = stamp
    return True


def register(receiver: EventReceiver, sandbox: Sandbox, on_routed: Callable[[], None]) -> None:
    """Attach the OMS's handlers to ``receiver``; ``on_routed`` is told when a store
    fulfillment waits to be injected."""

    async def created(event: Event[OrderCreated] | Event[OrderOpened]) -> None:
        session, payload = _session(event), event.payload
        copy = await store_copy(
            session, platform_order_id=payload.id, external_id=payload.external_id
        )
        if copy is not None:
            if copy.platform_order_id is None:
                copy.platform_order_id = payload.id
            note(event, f"the store fulfillment {copy.external_id} of order {copy.order_id}")
            return
        if await by_origin_id(session, payload.id) is not None:
            note(event, "already known")
            return
        number = payload.external_id or payload.id
        if await session.get(OmsOrder, number) is not None:
            number = payload.id  # another order already has that number in the OMS
        document = document_from(payload, number)
        now = clock.now()
        order = OmsOrder(
            id=number,
            origin="newstore",
            origin_id=payload.id,
            customer_email=(payload.customer_email or "").lower() or None,
            customer_token=payload.customer_id,
            placed_at=payload.placed_at,
            status=document["status"],
            paid=False,
            last_logical_timestamp=payload.logical_timestamp or 0,
            document=document,
            created_at=now,
            updated_at=now,
        )
        session.add(order)
        if payload.is_historical:
            note(event, f"order {number} recorded (historical: not routed)")
            return
        if payload.origin == "external":
            # Injected by another system, which routed it already: routing it again here
            # would send its items to a second store.
            note(event, f"order {number} recorded (injected by another system: not routed)")
            return
        routed = await route(sandbox, session, order)
        if any(f.status == "pending" for f in routed):
            on_routed()
        where = ", ".join(f"{f.kind} {f.location or '-'} ({f.status})" for f in routed)
        note(event, f"order {number} created" + (f"; routed: {where}" if routed else ""))

    async def completed(event: Event[OrderCompleted]) -> None:
        session, payload = _session(event), event.payload
        copy = await store_copy(
            session, platform_order_id=payload.id, external_id=payload.external_id
        )
        if copy is not None:
            if copy.status in ("completed", "cancelled", "failed"):
                note(event, f"store fulfillment already {copy.status}")
                return
            copy.status = "completed"
            copy.updated_at = clock.now()
            order = await session.get(OmsOrder, copy.order_id)
            if order is not None:
                set_items(order, copy.item_ids, "complete")
            note(event, f"store fulfillment {copy.external_id} completed")
            return
        order = await by_origin_id(session, payload.id)
        if order is None:
            raise Deferred(payload.id, "the order is not known yet")
        if not _newer(order, event):
            note(event, "stale (an event newer than this one was applied)")
            return
        order.platform_status = "completed"
        ids = [item.id for item in payload.items if item.status == "complete"] or [
            item["id"] for item in order.document["items"]
        ]
        document = dict(order.document)
        document["items"] = [
            dict(item, status="complete")
            if item["id"] in ids and item["status"] not in ("cancelled", "returned")
            else item
            for item in document["items"]
        ]
        set_document(order, document)
        note(event, f"order {order.id} completed")

    async def cancelled(event: Event[OrderCancelled]) -> None:
        session, payload = _session(event), event.payload
        copy = await store_copy(
            session, platform_order_id=payload.id, external_id=payload.external_id
        )
        if copy is None:
            order = await by_origin_id(session, payload.id)
            if order is not None:
                order.platform_status = "cancelled"
            note(event, "ignored: the OMS keeps its own status of the orders it manages (seed)")
            return
        if copy.status not in ACTIVE_COPY:
            note(event, f"store fulfillment already {copy.status}")
            return
        copy.status = "cancelled"
        copy.reason = payload.reason_code or payload.reason
        copy.platform_order_id = copy.platform_order_id or payload.id
        copy.updated_at = clock.now()
        if payload.reason_code == "mispick" and copy.location:
            # The store had not got the units: stop promising them there.
            await session.execute(
                update(Stock)
                .where(Stock.location == copy.location, Stock.product_id.in_(_products(copy)))
                .values(atp=0)
            )
        order = await session.get(OmsOrder, copy.order_id)
        if order is None:
            note(event, "store fulfillment cancelled; its order is gone")
            return
        rerouted = await route(
            sandbox,
            session,
            order,
            copy.item_ids,
            attempt=copy.attempt + 1,
            exclude=copy.tried_locations,
            stores_only=True,
        )
        if any(f.status == "pending" for f in rerouted):
            on_routed()
        targets = ", ".join(f"{f.external_id or '-'} at {f.location or 'none'}" for f in rerouted)
        note(
            event,
            f"store fulfillment {copy.external_id} cancelled ({copy.reason}); re-routed: {targets}",
        )

    async def items_cancelled(event: Event[OrderItemsCancelled]) -> None:
        order = await by_origin_id(_session(event), event.payload.id)
        if order is not None:
            order.platform_status = "items_cancelled"
        note(event, "ignored: the OMS keeps its own status of the orders it manages (seed)")

    async def payment(event: Event[PaymentAccountPayload]) -> None:
        session, payload = _session(event), event.payload
        if await store_copy(session, platform_order_id=payload.order_id, external_id=None):
            note(event, "payment of a store fulfillment: the OMS took the payment itself")
            return
        order = await by_origin_id(session, payload.order_id)
        if order is None:
            raise Deferred(payload.order_id, "the order is not known yet")
        methods = {i.id: i.payment_method for i in payload.instruments}
        document = dict(order.document)
        history = list(document.get("payment_history") or [])
        if event.name == PaymentAccountAmountAuthorized.name:
            note(event, f"order {order.id}: authorization noted")
            document["_authorized"] = sum(t.amount for t in payload.transactions)
            set_document(order, document)
            return
        refund = event.name == PaymentAccountAmountRefunded.name
        for transaction in payload.transactions:
            history.append(
                {
                    "category": "refund" if refund else "payment",
                    "method": methods.get(transaction.instrument_id, "credit_card"),
                    "amount": abs(transaction.amount),
                    "currency": transaction.currency,
                }
            )
        document["payment_history"] = history
        if not refund:
            order.paid = True
        set_document(order, document)
        note(event, f"order {order.id}: " + ("refund recorded" if refund else "marked paid"))

    async def fulfillment_request(event: Event[Any]) -> None:
        session, payload = _session(event), event.payload
        copy = await store_copy(
            session,
            platform_order_id=payload.order_id,
            external_id=payload.external_order_id,
        )
        if copy is None:
            note(event, "not a store fulfillment of the OMS: nothing to track")
            return
        if event.name == FulfillmentRequestAssigned.name and copy.status in (
            "pending",
            "injected",
            "injecting",
        ):
            copy.status = "assigned"
        tracking = [item.tracking_code for item in payload.items if item.tracking_code]
        if tracking:
            copy.tracking_code = tracking[0]
        copy.updated_at = clock.now()
        note(event, f"store fulfillment {copy.external_id}: {event.name.split('.')[-1]}")

    async def returned(event: Event[ReturnProcessed]) -> None:
        session, payload = _session(event), event.payload
        order = await by_origin_id(session, payload.order_id) if payload.order_id else None
        if order is None:
            note(event, "a return of an order the OMS does not hold from the stream")
            return
        set_items(order, [item.id for item in payload.items], "returned")
        note(event, f"order {order.id}: {len(payload.items)} item(s) returned")

    async def refund_requested(event: Event[RefundRequestIssued]) -> None:
        note(event, f"refund of {event.payload.amount} {event.payload.currency} requested")

    receiver.on(OrderCreated)(created)
    receiver.on(OrderOpened)(created)
    receiver.on(OrderCompleted)(completed)
    receiver.on(OrderCancelled)(cancelled)
    receiver.on(OrderItemsCancelled)(items_cancelled)
    receiver.on(PaymentAccountAmountAuthorized)(payment)
    receiver.on(PaymentAccountAmountCaptured)(payment)
    receiver.on(PaymentAccountAmountRefunded)(payment)
    for model in (
        FulfillmentRequestAssigned,
        FulfillmentRequestItemsCompleted,
        FulfillmentRequestItemsFailed,
        FulfillmentRequestItemsReadyForHandover,
    ):
        receiver.on(model)(fulfillment_request)
    receiver.on(ReturnProcessed)(returned)
    receiver.on(RefundRequestIssued)(refund_requested)


def _products(copy: Fulfillment) -> list[str]:
    request: dict[str, Any] = copy.request or {}
    return sorted(
        {
            item["product_id"]
            for shipment in request.get("shipments", [])
            for item in shipment.get("items", [])
        }
    )
