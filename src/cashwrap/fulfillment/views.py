"""Fulfillment requests as the reference's API and the store's work API show them."""

from __future__ import annotations

from cashwrap.core import clock
from cashwrap.fulfillment.schemas import (
    DocumentLink,
    FulfillmentRequestItemView,
    FulfillmentRequestView,
    StoreFulfillmentRequestView,
    StoreItemView,
)
from cashwrap.fulfillment.service import RequestRecord, available


def reference(record: RequestRecord) -> FulfillmentRequestView:
    request = record.request
    return FulfillmentRequestView(
        fulfillment_request_id=request["id"],
        created_at=clock.isoformat(clock.as_utc(request["created_at"])),
        fulfillment_node_id=request["fulfillment_node_id"],
        service_level=request["service_level"],
        status=record.api_status.value,
        items=[
            FulfillmentRequestItemView(
                item_id=item["item_id"],
                product_id=item["product_id"],
                status=item["state"],
                carrier=item["carrier"],
                tracking_code=item["tracking_code"],
            )
            for item in record.items
        ],
    )


def store(record: RequestRecord) -> StoreFulfillmentRequestView:
    request = record.request
    order = record.order.order if record.order else {}
    base = f"/v0/stores/{request['store_id']}/fulfillment_requests/{request['id']}/documents"
    return StoreFulfillmentRequestView(
        id=request["id"],
        order_id=request["order_id"],
        external_order_id=request["external_order_id"],
        store_id=request["store_id"],
        fulfillment_node_id=request["fulfillment_node_id"],
        service_level=request["service_level"],
        kind=request["kind"],
        shipping_type=request["shipping_type"],
        routing_strategy=request["routing_strategy"],
        status=request["status"],
        api_status=record.api_status.value,
        associate_id=request["associate_id"],
        customer_name=order.get("customer_name"),
        customer_email=order.get("customer_email"),
        shipping_address=order.get("shipping_address"),
        carrier=request["carrier"],
        tracking_code=request["tracking_code"],
        pickup_code=request["pickup_code"],
        failure_reason=request["failure_reason"],
        created_at=clock.isoformat(clock.as_utc(request["created_at"])),
        updated_at=clock.isoformat(clock.as_utc(request["updated_at"])),
        completed_at=(
            clock.isoformat(clock.as_utc(request["completed_at"]))
            if request["completed_at"]
            else None
        ),
        items=[
            StoreItemView(
                item_id=item["item_id"],
                product_id=item["product_id"],
                product_name=record.order_items.get(item["item_id"], {}).get("product_name"),
                external_item_id=record.order_items.get(item["item_id"], {}).get(
                    "external_item_id"
                ),
                status=item["state"],
                picked=item["picked_at"] is not None,
                packed=item["packed_at"] is not None,
                reason=item["reason"],
            )
            for item in record.items
        ],
        documents=[
            DocumentLink(name=name, href=f"{base}/{name}")
            for name in available(request["kind"], request["tracking_code"], request["pickup_code"])
        ],
    )
