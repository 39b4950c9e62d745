"""Fulfillment requests: assignment (order injection), the reference's API, the store's work.

* :mod:`.assignment` — ``assign``: requests and ``fulfillment_request.assigned`` in the caller's
  transaction.
* :mod:`.records` — reading requests with their items and orders.
* :mod:`.api_states` — ``set_items_states`` (c.3).
* :mod:`.work` — the store's steps: start, pick, mispick, pack, mispack, ready for pickup,
  hand over to the customer.
* :mod:`.shipping` — ship from store: carrier booking and handover confirmation (outbound).
* :mod:`.documents` — the PDFs.
"""

from __future__ import annotations

from cashwrap.fulfillment.service.api_states import set_items_states
from cashwrap.fulfillment.service.assignment import RequestDraft, RequestItem, assign
from cashwrap.fulfillment.service.documents import DOCUMENTS, available, document
from cashwrap.fulfillment.service.records import RequestRecord, for_order, get, load, store_queue
from cashwrap.fulfillment.service.shipping import (
    confirm_handovers,
    hand_over,
    run_confirmations,
    ship,
)
from cashwrap.fulfillment.service.work import (
    MISPACK,
    MISPICK,
    cancel_other_requests,
    mispack,
    mispick,
    pack,
    pick,
    ready_for_pickup,
    start,
)

__all__ = [
    "DOCUMENTS",
    "MISPACK",
    "MISPICK",
    "RequestDraft",
    "RequestItem",
    "RequestRecord",
    "assign",
    "available",
    "cancel_other_requests",
    "confirm_handovers",
    "document",
    "for_order",
    "get",
    "hand_over",
    "load",
    "mispack",
    "mispick",
    "pack",
    "pick",
    "ready_for_pickup",
    "run_confirmations",
    "set_items_states",
    "ship",
    "start",
    "store_queue",
]
