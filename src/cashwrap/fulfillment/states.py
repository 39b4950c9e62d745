"""Fulfillment request statuses: the store's work, its items, and what the API reports.

Three dimensions (one enum each):

* :class:`RequestStatus` — the **work** on one fulfillment request (FFR) at its location, moved
  only through :data:`REQUEST_LIFECYCLE` by a guarded conditional UPDATE
  (:func:`cashwrap.core.states.transition`): two associates racing on one FFR cannot both win;
* :class:`ItemState` — each unit of the FFR, the reference's ``Status2``
  (``dispatched | shipped | rejected | cancelled``);
* :class:`ApiStatus` — the reference's ``Status11`` that ``GET /v0/fulfillment_requests``
  shows, **derived** from the two above by :func:`api_status` (never stored).

The store's work, for pick-up in store and ship from store::

    dispatched ─start─▶ picking ─pick─▶ picked ─pack─▶ packed
        │                  │ mispick        │ mispack     │ ├─ready_for_pickup─▶ ready_for_handover
        │                  ▼                ▼             │ └─ship (booked)─────▶ ready_for_handover
        │                failed (the order is cancelled)  │ mispack ▶ failed
        └─ set_items_states (shipped / rejected) ─▶ completed
    ready_for_handover ─handover (customer, or the carrier confirms)─▶ completed
    any open status ─(the order is cancelled)─▶ cancelled
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from cashwrap.core.states import lifecycle


class RequestStatus(StrEnum):
    DISPATCHED = "dispatched"
    """Assigned to the location; no associate has taken it yet."""
    PICKING = "picking"
    """An associate took it and is collecting the items."""
    PICKED = "picked"
    """Every open item was found on the shelf."""
    PACKED = "packed"
    """Packed; next: the pickup label (pick-up in store) or the carrier booking (ship)."""
    READY_FOR_HANDOVER = "ready_for_handover"
    """Waits for the customer (pickup label printed) or for the carrier (shipment booked)."""
    COMPLETED = "completed"
    """Handed over to the customer or the carrier, or every item shipped/rejected via the API."""
    FAILED = "failed"
    """Mispick or mispack: the store cannot fulfil it, the order was cancelled."""
    CANCELLED = "cancelled"
    """The order was cancelled while the request was open (booking failed, another request of
    the order failed, a cancellation)."""


class ItemState(StrEnum):
    DISPATCHED = "dispatched"
    SHIPPED = "shipped"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ApiStatus(StrEnum):
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_COMPLETED = "partially_completed"
    COMPLETED = "completed"


class Kind(StrEnum):
    """How the items leave the store."""

    SHIP = "ship"
    """Ship from store: the platform books the carrier and prints its label."""
    PICKUP = "pickup"
    """Pick-up in store (BOPIS): the platform prints the pickup label; the customer comes."""


_OPEN_WORK = {RequestStatus.FAILED, RequestStatus.CANCELLED}

REQUEST_LIFECYCLE = lifecycle(
    "fulfillment request",
    {
        RequestStatus.DISPATCHED: {RequestStatus.PICKING, RequestStatus.COMPLETED} | _OPEN_WORK,
        RequestStatus.PICKING: {RequestStatus.PICKED} | _OPEN_WORK,
        RequestStatus.PICKED: {RequestStatus.PACKED} | _OPEN_WORK,
        RequestStatus.PACKED: {RequestStatus.READY_FOR_HANDOVER} | _OPEN_WORK,
        RequestStatus.READY_FOR_HANDOVER: {RequestStatus.COMPLETED, RequestStatus.CANCELLED},
        RequestStatus.COMPLETED: set(),
        RequestStatus.FAILED: set(),
        RequestStatus.CANCELLED: set(),
    },
)

OPEN_STATUSES: frozenset[str] = frozenset(
    {
        RequestStatus.DISPATCHED,
        RequestStatus.PICKING,
        RequestStatus.PICKED,
        RequestStatus.PACKED,
        RequestStatus.READY_FOR_HANDOVER,
    }
)
TERMINAL_ITEM_STATES: frozenset[str] = frozenset(
    {ItemState.SHIPPED, ItemState.REJECTED, ItemState.CANCELLED}
)


def api_status(work: str, item_states: Iterable[str]) -> ApiStatus:
    """The reference's FFR status from the work status and the items' states.

    ``completed`` once every item is shipped, rejected or cancelled; ``partially_completed``
    when some are; otherwise ``dispatched`` until an associate (or the OMS) acknowledges it.
    """
    states = list(item_states)
    done = [state in TERMINAL_ITEM_STATES for state in states]
    if states and all(done):
        return ApiStatus.COMPLETED
    if any(done):
        return ApiStatus.PARTIALLY_COMPLETED
    if work == RequestStatus.DISPATCHED:
        return ApiStatus.DISPATCHED
    if work in (RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.CANCELLED):
        return ApiStatus.COMPLETED
    return ApiStatus.ACKNOWLEDGED


def item_state(stored: str, order_item_status: str | None) -> ItemState:
    """An FFR item as the API shows it: an open item whose order item was cancelled by anyone
    (the OMS, a cancellation API) reads ``cancelled``, without this domain being told."""
    if stored == ItemState.DISPATCHED and order_item_status == "cancelled":
        return ItemState.CANCELLED
    return ItemState(stored)
