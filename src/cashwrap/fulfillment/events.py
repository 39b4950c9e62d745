"""The fulfillment request events' payloads, built from a request's rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cashwrap.events import catalog


def _items(
    items: Sequence[Mapping[str, Any]], *, reason: str | None = None
) -> list[catalog.FulfillmentRequestItem]:
    return [
        catalog.FulfillmentRequestItem(
            id=item["item_id"],
            product_id=item["product_id"],
            shipped_at=item.get("shipped_at"),
            carrier=item.get("carrier"),
            tracking_code=item.get("tracking_code"),
            reason=reason or item.get("reason"),
        )
        for item in items
    ]


def _fields(request: Mapping[str, Any], associate_id: str | None) -> dict[str, Any]:
    return {
        "id": request["id"],
        "order_id": request["order_id"],
        "external_order_id": request["external_order_id"],
        "fulfillment_location_id": request["fulfillment_node_id"],
        "associate_id": associate_id,
        "service_level": request["service_level"],
    }


def assigned(
    request: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> catalog.FulfillmentRequestAssigned:
    return catalog.FulfillmentRequestAssigned(**_fields(request, None), items=_items(items))


def ready_for_handover(
    request: Mapping[str, Any], items: Sequence[Mapping[str, Any]], associate_id: str | None
) -> catalog.FulfillmentRequestItemsReadyForHandover:
    return catalog.FulfillmentRequestItemsReadyForHandover(
        **_fields(request, associate_id), items=_items(items)
    )


def completed(
    request: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    associate_id: str | None,
    shipped_at: datetime,
) -> catalog.FulfillmentRequestItemsCompleted:
    return catalog.FulfillmentRequestItemsCompleted(
        **_fields(request, associate_id),
        items=_items(
            [{**item, "shipped_at": item.get("shipped_at") or shipped_at} for item in items]
        ),
    )


def failed(
    request: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    associate_id: str | None,
    reason: str,
) -> catalog.FulfillmentRequestItemsFailed:
    return catalog.FulfillmentRequestItemsFailed(
        **_fields(request, associate_id), items=_items(items, reason=reason)
    )
