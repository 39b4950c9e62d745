"""Cancelling orders and items (c.2), and giving back what their payment account holds.

``GET /v0/orders/{id}/cancel`` answers NewStore's cancellation status:

* ``canceled`` — every item is cancelled;
* ``cancelable`` — some item is still open (``pending``, ``in_fulfillment``, ``on_hold``);
* ``is_safe`` — cancelable, and no open item is being fulfilled elsewhere: each is in its
  grace period or still at the till (taken now, not handed over). An item the external OMS or
  a store is fulfilling may already be on its way.

Cancelling (the whole order, or one item) first cancels the items and records
``order.cancelled`` / ``order.items_cancelled`` (one transaction, which also reserves the
money to give back), then releases the money (no transaction: the payment provider is asked),
then records the release and the order's payment status (one transaction; a refund records
``payment_account.amount_refunded``). The money released is what the cancelled items cost
(and the shipping, with the cancellation that leaves nothing to ship): what is only authorized
is revoked, what a card or gift card captured is refunded, and captured cash stays captured —
NewStore shows cancelled cash items as Captured and their refund is manual (``unreleased``).

If the provider's answer is unknown, the items stay cancelled and the release stays pending;
cancelling the order again resumes it with the same provider keys.

A cancellation that comes while a hand-over's capture is in flight finds nothing to release (the
capture holds the whole authorization): the hand-over then records what the provider captured
and gives the cancelled items' money back itself (:func:`give_back`), under the key the
cancellation would have used.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core.errors import Conflict, NotFound
from cashwrap.core.money import to_wire
from cashwrap.core.uow import Database
from cashwrap.locations import service as locations
from cashwrap.orders import service
from cashwrap.orders.states import FulfilledBy, ItemStatus, PaymentStatus
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import service as payments

OPEN = frozenset({ItemStatus.PENDING, ItemStatus.IN_FULFILLMENT, ItemStatus.ON_HOLD})


@dataclass(frozen=True)
class CancellationStatus:
    cancelable: bool
    canceled: bool
    is_safe: bool


@dataclass(frozen=True)
class Release:
    """What the cancellation gave back (minor units of ``currency``)."""

    state: str
    currency: str
    revoked: int = 0
    refunded: int = 0
    unreleased: int = 0
    error_code: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "currency": self.currency,
            "revoked": to_wire(self.revoked, self.currency),
            "refunded": to_wire(self.refunded, self.currency),
            "unreleased": to_wire(self.unreleased, self.currency),
            "error_code": self.error_code,
        }


@dataclass(frozen=True)
class Cancellation:
    status: CancellationStatus
    release: Release | None


def status_of(record: service.OrderRecord) -> CancellationStatus:
    statuses = [item["status"] for item in record.items]
    open_items = [item for item in record.items if item["status"] in OPEN]
    safe = all(
        item["status"] == ItemStatus.PENDING or item["fulfilled_by"] == FulfilledBy.CUSTOMER
        for item in open_items
    )
    return CancellationStatus(
        cancelable=bool(open_items),
        canceled=bool(statuses) and all(status == ItemStatus.CANCELLED for status in statuses),
        is_safe=bool(open_items) and safe,
    )


async def find(
    session: AsyncSession, tenant: str, reference: str, id_type: str, *, for_update: bool = False
) -> service.OrderRecord:
    if id_type == "internal":
        return await service.get_order(session, tenant, order_id=reference, for_update=for_update)
    return await service.get_order(session, tenant, external_id=reference, for_update=for_update)


async def cancellation_status(
    session: AsyncSession, tenant: str, reference: str, id_type: str
) -> CancellationStatus:
    return status_of(await find(session, tenant, reference, id_type))


async def locked(
    session: AsyncSession, tenant: str, reference: str, id_type: str
) -> service.OrderRecord:
    """Lock the payment account, then the order: returns, refunds and payment recording take
    the two rows in this order too, so a cancellation never deadlocks with them."""
    # The account's id is the order's: an external reference is read once to learn it.
    order_id = (
        reference if id_type == "internal" else (await find(session, tenant, reference, id_type)).id
    )
    await payments.account_state(session, tenant, order_id, for_update=True)
    return await find(session, tenant, order_id, "internal", for_update=True)


async def cancel_order(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    reference: str,
    id_type: str,
    reason: str,
    note: str | None = None,
) -> Cancellation:
    """Cancel every open item (see the module). 409 ``order_already_canceled`` for an order
    cancelled before (unless its release is still pending: it is resumed), 409
    ``order_not_cancelable`` when nothing is left to cancel."""
    async with database.transaction() as session:
        record = await locked(session, tenant, reference, id_type)
        key = _order_key(record.id)
        status = status_of(record)
        operation: payments.Operation | None
        chosen: payments.Providers | None
        if not status.cancelable:
            pending = await payments.find(session, tenant, key)
            if pending is not None and not pending.finished:
                chosen = await payments.providers(session, tenant, http)
                operation = pending
            elif status.canceled:
                raise Conflict(
                    f"order {record.order['external_id']} is already cancelled",
                    code="order_already_canceled",
                )
            else:
                raise Conflict(
                    f"order {record.order['external_id']} has nothing left to cancel",
                    code="order_not_cancelable",
                )
        else:
            open_ids = [item["id"] for item in record.items if item["status"] in OPEN]
            amount = _amount(record, set(open_ids))
            after = await service.cancel_order(session, tenant, record.id, reason=reason, note=note)
            await locations.release_for_order(session, tenant, record.id, open_ids)
            operation, chosen = await _reserve(
                session, http, tenant, record.id, key, amount, reason
            )
            status = status_of(after)
    release = await _release(database, tenant, record.id, operation, chosen)
    return Cancellation(status, release)


async def cancel_item(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    reference: str,
    id_type: str,
    item_id: str,
    reason: str,
) -> Cancellation:
    """Cancel one open item and record ``order.items_cancelled``. 404
    ``order_item_not_found``; 409 ``item_not_cancelable`` for an item complete, cancelled or
    returned."""
    async with database.transaction() as session:
        record = await locked(session, tenant, reference, id_type)
        item = next((item for item in record.items if item["id"] == item_id), None)
        if item is None:
            raise NotFound(
                f"order {record.order['external_id']} has no item {item_id}",
                code="order_item_not_found",
            )
        if item["status"] not in OPEN:
            raise Conflict(
                f"item {item_id} is {item['status']} and can no longer be cancelled",
                code="item_not_cancelable",
                extra={"status": item["status"]},
            )
        amount = _amount(record, {item_id})
        after = await service.cancel_items(session, tenant, record.id, [item_id], reason=reason)
        await locations.release_for_order(session, tenant, record.id, [item_id])
        operation, chosen = await _reserve(
            session, http, tenant, record.id, _item_key(record.id, item_id), amount, reason
        )
        status = status_of(after)
    release = await _release(database, tenant, record.id, operation, chosen)
    return Cancellation(status, release)


async def give_back(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    order_id: str,
    item_ids: Collection[str],
    reason: str,
) -> list[Release]:
    """Release what the cancelled ``item_ids`` cost where their cancellation released nothing.

    Each item's money goes back under the key of the cancellation that cancelled it (the
    order's, when the item was cancelled with it; else the item's own): a release that
    cancellation did make is resumed or left as it is, never made twice.
    """
    planned: list[tuple[payments.Operation, payments.Providers]] = []
    async with database.transaction() as session:
        record = await locked(session, tenant, order_id, "internal")
        cancelled_at = record.order["cancelled_at"]
        by_key: dict[str, set[str]] = {}
        for item in record.items:
            if item["id"] in item_ids and item["status"] == ItemStatus.CANCELLED:
                with_order = cancelled_at is not None and item["cancelled_at"] == cancelled_at
                key = _order_key(order_id) if with_order else _item_key(order_id, item["id"])
                by_key.setdefault(key, set()).add(item["id"])
        for key, ids in by_key.items():
            operation = await payments.find(session, tenant, key)
            chosen: payments.Providers | None = None
            if operation is None:
                operation, chosen = await _reserve(
                    session, http, tenant, order_id, key, _amount(record, ids), reason
                )
            elif not operation.finished:
                chosen = await payments.providers(session, tenant, http)
            if operation is not None and chosen is not None:
                planned.append((operation, chosen))
    releases = []
    for operation, chosen in planned:
        release = await _release(database, tenant, order_id, operation, chosen)
        if release is not None:
            releases.append(release)
    return releases


def _order_key(order_id: str) -> str:
    """The provider key of the release a whole order's cancellation makes."""
    return f"{order_id}:cancel"


def _item_key(order_id: str, item_id: str) -> str:
    """The provider key of the release one item's cancellation makes."""
    return f"{order_id}:cancel:{item_id}"


def _amount(record: service.OrderRecord, cancelled: set[str]) -> int:
    """What the cancelled items cost, with their tax when prices exclude it; and the shipping
    with the cancellation that leaves nothing to ship."""
    tax_excluded = record.order["price_method"] == "tax_excluded"
    amount: int = sum(
        item["price"] - item["order_discount"] + (item["tax"] if tax_excluded else 0)
        for item in record.items
        if item["id"] in cancelled
    )
    if _leaves_nothing_to_ship(record, cancelled):
        amount += record.order["shipping_total"]
        if tax_excluded:
            amount += record.order["shipping_tax"]
    return amount


def _leaves_nothing_to_ship(record: service.OrderRecord, cancelled: set[str]) -> bool:
    """Items taken in the store use no shipping: a mixed cart's last shipped item cancelled
    gives the shipping back though its taken items were handed over. An item shipped (or
    returned after it was) used it."""

    def remains(item: dict[str, Any]) -> bool:
        return item["id"] not in cancelled and item["status"] != ItemStatus.CANCELLED

    shipped = [item for item in record.items if item["fulfilled_by"] != FulfilledBy.CUSTOMER]
    if not shipped:
        return not any(remains(item) for item in record.items)
    return any(item["id"] in cancelled for item in shipped) and not any(
        remains(item) for item in shipped
    )


async def _reserve(
    session: AsyncSession,
    http: OutboundHttp,
    tenant: str,
    order_id: str,
    key: str,
    amount: int,
    reason: str,
) -> tuple[payments.Operation | None, payments.Providers | None]:
    account = await payments.account_state(session, tenant, order_id, for_update=True)
    if account is None or amount <= 0 or account.capturable + account.refundable <= 0:
        return None, None
    operation = await payments.prepare(
        session,
        tenant,
        account_id=order_id,
        kind="release",
        idempotency_key=key,
        amount=amount,
        reason=reason[:256],
    )
    return operation, await payments.providers(session, tenant, http)


async def _release(
    database: Database,
    tenant: str,
    order_id: str,
    operation: payments.Operation | None,
    chosen: payments.Providers | None,
) -> Release | None:
    if operation is None or chosen is None:
        return None
    executed = await payments.execute(operation, chosen)
    if executed.unknown is not None:
        return Release("unknown", operation.currency, error_code=executed.unknown.error_code)
    async with database.transaction() as session:
        result = await payments.record(session, executed)
        if result.account_status and not result.replayed:
            await service.set_payment_status(
                session, tenant, order_id, PaymentStatus(result.account_status)
            )
    return Release(
        state=result.state,
        currency=operation.currency,
        revoked=result.revoked,
        refunded=result.refunded,
        unreleased=result.unreleased,
        error_code=result.refusal.error_code if result.refusal else None,
    )
