"""Handing the taken items of an order over to the customer (``POST /v0/orders/{id}/handover``).

The items a checkout recorded as taken now (``IN_STORE_HANDOVER``) wait ``in_fulfillment``
until the Associate App says the customer has them. Then, for a cash & carry order whose
payment is only authorized, the payment is captured — the seed's sequence: ``order.completed``,
then ``payment_account.amount_captured``.

Steps: read the order and plan the capture (reserving the amount: one transaction); capture
(no transaction); complete the items, take them off the store's stock, record the capture and
the order's payment status (one transaction, events in that order). A declined capture
changes nothing for the items (409-free: the answer is the payment problem) and frees the
reservation; a capture whose outcome is unknown changes nothing and is asked again, with the
same provider key, by the next hand-over call.

Idempotent: handing over an order whose taken items are all complete and whose payment is
captured answers the order as it is.

An order cancelled meanwhile (by the external OMS, or at another till) keeps its cancelled items
cancelled: a cancellation that came while the capture was in flight released nothing (the capture
held the authorization), so the hand-over records what the provider captured and gives the
cancelled items' money back (``orders.cancellation.give_back``). 409 ``order_cancelled`` when
nothing was handed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.checkout.schemas import HandoverResponse
from cashwrap.checkout.service.placing import take_from_store
from cashwrap.core.errors import Conflict
from cashwrap.core.uow import Database
from cashwrap.orders import cancellation
from cashwrap.orders import service as orders
from cashwrap.orders.states import (
    FulfilledBy,
    ItemStatus,
    PaymentStatus,
    item_label,
    order_label,
    payment_label,
)
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import service as payments

_OPEN = (ItemStatus.PENDING, ItemStatus.IN_FULFILLMENT)


async def hand_over(
    database: Database, http: OutboundHttp, tenant: str, *, reference: str, id_type: str
) -> HandoverResponse:
    """Hand over every taken item not yet handed over (see the module). 409
    ``nothing_to_hand_over`` for an order with no item taken now, ``order_cancelled`` for one
    whose taken items were cancelled before they were handed over."""
    async with database.transaction() as session:
        # The account, then the order, locked as a cancellation takes them: the two take turns.
        record = await cancellation.locked(session, tenant, reference, id_type)
        order_id = record.id
        taken = [item for item in record.items if item["fulfilled_by"] == FulfilledBy.CUSTOMER]
        if not taken:
            raise Conflict(
                f"order {record.order['external_id']} has no item taken in the store",
                code="nothing_to_hand_over",
            )
        waiting = [item["id"] for item in taken if item["status"] in _OPEN]
        if not waiting and all(item["status"] == ItemStatus.CANCELLED for item in taken):
            raise _cancelled(record)
        account = await payments.account_state(session, tenant, order_id)
        ships = any(item["fulfilled_by"] != FulfilledBy.CUSTOMER for item in record.items)
        key = f"{order_id}:handover"
        # A hand-over sent twice finds the first one's capture in flight: it waits for the same
        # answer (the provider's key is the same) instead of handing the items over unpaid.
        capture_due = (
            account is not None
            and not ships
            and (account.capturable > 0 or await _in_flight(session, tenant, key))
        )
        if not waiting and not capture_due:
            return _response(record, [])
        operation = None
        chosen = None
        if capture_due:
            operation = await payments.prepare(
                session,
                tenant,
                account_id=order_id,
                kind="capture",
                idempotency_key=key,
                retry_failed=True,
            )
            chosen = await payments.providers(session, tenant, http)
    executed = None
    if operation is not None and chosen is not None:
        executed = await payments.execute(operation, chosen)
        if executed.unknown is not None:
            raise payments.not_taken(executed.unknown)
    refusal = next(
        (outcome.refusal for outcome in executed.outcomes if outcome.refusal), None
    ) if executed else None  # fmt: skip
    async with database.transaction() as session:
        after = await cancellation.locked(session, tenant, order_id, "internal")
        # While the provider captured, a cancellation may have cancelled items (they stay
        # cancelled) and a hand-over sent twice may have handed them over.
        now = {item["id"]: item["status"] for item in after.items}
        handed = [item_id for item_id in waiting if now[item_id] in _OPEN]
        cancelled = [item_id for item_id in waiting if now[item_id] == ItemStatus.CANCELLED]
        # The seed's order: order.completed, then payment_account.amount_captured.
        if refusal is None and handed:
            now_handed = set(handed)
            after = await orders.complete_items(session, tenant, order_id, handed)
            store = taken[0]["fulfillment_location_id"]
            if store:
                products = [item["product_id"] for item in taken if item["id"] in now_handed]
                await take_from_store(session, tenant, store, products)
        if executed is not None:
            result = await payments.record(session, executed)
            if result.account_status and (refusal is None or result.captured):
                after = await orders.set_payment_status(
                    session, tenant, order_id, PaymentStatus(result.account_status)
                )
    if cancelled:
        # Their cancellation found the authorization held by this capture and released
        # nothing: what the provider took (or still holds) for them goes back now.
        releases = await cancellation.give_back(
            database, http, tenant, order_id, cancelled, "cancelled while handed over"
        )
        if not handed:
            raise _cancelled(after, releases)
    if refusal is not None:
        raise payments.not_taken(refusal)
    return _response(after, handed)


async def _in_flight(session: AsyncSession, tenant: str, key: str) -> bool:
    """A capture under ``key`` is still waiting for the provider's answer."""
    operation = await payments.find(session, tenant, key)
    return operation is not None and not operation.finished


def _cancelled(
    record: orders.OrderRecord, releases: Sequence[cancellation.Release] = ()
) -> Conflict:
    return Conflict(
        f"order {record.order['external_id']} was cancelled; its items cannot be handed over",
        code="order_cancelled",
        extra={"payment_releases": [release.as_json() for release in releases]},
    )


def _response(record: orders.OrderRecord, handed_over: list[str]) -> HandoverResponse:
    order: dict[str, Any] = record.order
    payment_status = order["payment_status"]
    labels = [
        item_label(item["status"], item["fulfilled_by"], payment_status) for item in record.items
    ]
    return HandoverResponse(
        order_id=order["id"],
        order_number=order["external_id"],
        handed_over=handed_over,
        status=order["status"],
        status_label=order_label(labels),
        payment_status=payment_status,
        payment_status_label=payment_label(payment_status),
    )
