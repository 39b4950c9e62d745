"""Order, item and payment statuses: the API enums, their moves, and the words people read.

Three separate dimensions (STYLE: one enum per dimension):

* item ``status`` — the Sales Orders API's ``SalesOrderItemStatus``;
* order ``status`` — ``SalesOrderStatus``, **derived** from the items by :func:`order_status`;
* order ``payment_status`` — the payment account's state (defined by cashwrap).

The seed validates flows by the labels Omnichannel Manager shows (CONTRACT.md (e)):

=============  ==================  ===============  ==========================================
flow           order               payment          items
=============  ==================  ===============  ==========================================
cash & carry   Complete            Captured         Complete
endless aisle  Complete            Captured         Captured
mixed cart     Partially Complete  Captured         Captured (shipped), Complete (taken)
=============  ==================  ===============  ==========================================

:func:`item_label`, :func:`order_label` and :func:`payment_label` are the one place that maps
API values to those words; the order read API returns both, so validation, pages and
integrators read the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from cashwrap.core.states import lifecycle


class ItemStatus(StrEnum):
    PENDING = "pending"
    """In the grace period; nothing has been routed or fulfilled yet."""
    IN_FULFILLMENT = "in_fulfillment"
    """Being fulfilled: by the store, by a store for an injected order, or by the external OMS."""
    ON_HOLD = "on_hold"
    """Could not be fulfilled and waits for a decision (a conflict)."""
    COMPLETE = "complete"
    """Handed over to the customer or shipped."""
    CANCELLED = "cancelled"
    """Will not be fulfilled."""
    RETURNED = "returned"
    """Brought back after completion."""


class OrderStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    CREATED_FOR_BLIND_RETURN = "created_for_blind_return"
    FAILED = "failed"


class PaymentStatus(StrEnum):
    NONE = "none"
    """Nothing to pay or nothing paid through the platform."""
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class FulfilledBy(StrEnum):
    CUSTOMER = "customer"
    """Taken home at the till (``IN_STORE_HANDOVER``): cash & carry."""
    EXTERNAL_OMS = "external_oms"
    """Shipped by whoever the external OMS routes it to: endless aisle."""
    STORE = "store"
    """Fulfilled by a store of the platform: an order the OMS injected for store fulfillment."""


IN_STORE_HANDOVER = "IN_STORE_HANDOVER"

ITEM_LIFECYCLE = lifecycle(
    "order item",
    {
        ItemStatus.PENDING: {ItemStatus.IN_FULFILLMENT, ItemStatus.ON_HOLD,
                             ItemStatus.CANCELLED, ItemStatus.COMPLETE},
        ItemStatus.IN_FULFILLMENT: {ItemStatus.COMPLETE, ItemStatus.CANCELLED,
                                    ItemStatus.ON_HOLD},
        ItemStatus.ON_HOLD: {ItemStatus.IN_FULFILLMENT, ItemStatus.CANCELLED},
        ItemStatus.COMPLETE: {ItemStatus.RETURNED},
        ItemStatus.CANCELLED: set(),
        ItemStatus.RETURNED: set(),
    },
)  # fmt: skip


def order_status(
    items: Iterable[tuple[str, str]], *, payment_status: str, fixed: str | None = None
) -> OrderStatus:
    """The order's status from its items' ``(status, fulfilled_by)`` (a pure function,
    recomputed on every change).

    An item the external OMS fulfils counts as done for the platform once it is paid: the
    platform has nothing left to do for it (the seed shows such an order as "Complete").
    ``fixed`` carries the statuses items cannot express (``failed``,
    ``created_for_blind_return``), which then stand whatever the items say.
    """
    if fixed is not None:
        return OrderStatus(fixed)
    paid = payment_status in _PAID
    statuses = []
    for status, fulfilled_by in items:
        item = ItemStatus(status)
        handed_off = (
            item is ItemStatus.IN_FULFILLMENT and fulfilled_by == FulfilledBy.EXTERNAL_OMS and paid
        )
        statuses.append(ItemStatus.COMPLETE if handed_off else item)
    if any(status is ItemStatus.ON_HOLD for status in statuses):
        return OrderStatus.ON_HOLD
    if statuses and all(status in _DONE for status in statuses):
        return OrderStatus.CLOSED
    return OrderStatus.OPEN


def item_label(status: str, fulfilled_by: str, payment_status: str) -> str:
    """What Omnichannel Manager shows for an item.

    An item the external OMS fulfils is, for the platform, done once it is paid: the seed calls
    it "Captured" (endless-aisle items), not "In Fulfillment".
    """
    item = ItemStatus(status)
    if item is ItemStatus.IN_FULFILLMENT and fulfilled_by == FulfilledBy.EXTERNAL_OMS:
        return "Captured" if payment_status in _PAID else "Awaiting Payment"
    return _ITEM_LABELS[item]


def order_label(item_labels: Iterable[str]) -> str:
    """What Omnichannel Manager shows for an order, from its items' labels (the seed's table)."""
    labels = set(item_labels)
    if not labels:
        return "Open"
    if labels <= {"Complete", "Returned"} or labels == {"Captured"}:
        return "Complete"
    if labels <= {"Complete", "Captured", "Returned", "Cancelled"} and "Captured" in labels:
        return "Partially Complete"
    if labels == {"Cancelled"}:
        return "Cancelled"
    if labels <= {"Complete", "Cancelled", "Returned"}:
        return "Partially Complete" if "Complete" in labels else "Cancelled"
    if "On Hold" in labels:
        return "On Hold"
    if labels == {"Pending"}:
        return "Pending"
    return "In Fulfillment"


def payment_label(payment_status: str) -> str:
    return _PAYMENT_LABELS[PaymentStatus(payment_status)]


_PAID = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED,
                   PaymentStatus.REFUNDED})  # fmt: skip

_DONE = frozenset({ItemStatus.COMPLETE, ItemStatus.CANCELLED, ItemStatus.RETURNED})

_ITEM_LABELS = {
    ItemStatus.PENDING: "Pending",
    ItemStatus.IN_FULFILLMENT: "In Fulfillment",
    ItemStatus.ON_HOLD: "On Hold",
    ItemStatus.COMPLETE: "Complete",
    ItemStatus.CANCELLED: "Cancelled",
    ItemStatus.RETURNED: "Returned",
}

_PAYMENT_LABELS = {
    PaymentStatus.NONE: "Not Paid",
    PaymentStatus.AUTHORIZED: "Authorized",
    PaymentStatus.CAPTURED: "Captured",
    PaymentStatus.PARTIALLY_REFUNDED: "Partially Refunded",
    PaymentStatus.REFUNDED: "Refunded",
    PaymentStatus.VOIDED: "Voided",
}
