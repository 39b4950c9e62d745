"""Assigning fulfillment requests: one per shipment routed to a location.

Called inside the transaction that writes the order (order injection), so the order, its
requests and their ``fulfillment_request.assigned`` events commit together or not at all. One
multi-row INSERT per table; nothing goes through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.events import outbox
from cashwrap.fulfillment import events, repository
from cashwrap.fulfillment.states import ItemState, Kind, RequestStatus


@dataclass(frozen=True)
class RequestItem:
    item_id: str
    """The order item's id."""
    product_id: str


@dataclass(frozen=True)
class RequestDraft:
    order_id: str
    external_order_id: str
    fulfillment_node_id: str
    store_id: str | None
    service_level: str
    kind: Kind
    shipping_type: str
    routing_strategy: str
    shipment_index: int
    items: Sequence[RequestItem]
    reservation_id: str | None = None
    id: str | None = None


async def assign(session: AsyncSession, tenant: str, drafts: Sequence[RequestDraft]) -> list[str]:
    """Write the requests (status ``dispatched``) and one ``fulfillment_request.assigned`` each;
    returns their ids. The caller commits."""
    if not drafts:
        return []
    now = clock.now()
    requests: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for draft in drafts:
        request_id = draft.id or new_id()
        requests.append(
            {
                "id": request_id,
                "tenant": tenant,
                "order_id": draft.order_id,
                "external_order_id": draft.external_order_id,
                "fulfillment_node_id": draft.fulfillment_node_id,
                "store_id": draft.store_id,
                "service_level": draft.service_level,
                "kind": str(draft.kind),
                "shipping_type": draft.shipping_type,
                "routing_strategy": draft.routing_strategy,
                "shipment_index": draft.shipment_index,
                "status": str(RequestStatus.DISPATCHED),
                "associate_id": None,
                "reservation_id": draft.reservation_id,
                "pickup_code": None,
                "carrier": None,
                "rate": None,
                "tracking_code": None,
                "shipment_id": None,
                "booking_attempt": 0,
                "label": None,
                "package": None,
                "failure_reason": None,
                "created_at": now,
                "updated_at": now,
                "completed_at": None,
            }
        )
        for position, item in enumerate(draft.items):
            items.append(
                {
                    "fulfillment_request_id": request_id,
                    "item_id": item.item_id,
                    "tenant": tenant,
                    "position": position,
                    "product_id": item.product_id,
                    "status": str(ItemState.DISPATCHED),
                    "picked_at": None,
                    "packed_at": None,
                    "carrier": None,
                    "tracking_code": None,
                    "shipped_at": None,
                    "reason": None,
                }
            )
    await repository.insert_requests(session, requests, items)
    for request in requests:
        own = [item for item in items if item["fulfillment_request_id"] == request["id"]]
        await outbox.record(
            session,
            tenant=tenant,
            payload=events.assigned(request, own),
            entity_type="fulfillment_request",
            entity_id=request["id"],
            entity_is_new=True,
        )
    return [request["id"] for request in requests]
