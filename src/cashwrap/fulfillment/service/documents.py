"""The store's documents of one request, rendered on demand from its current state."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog import service as catalog
from cashwrap.core import clock
from cashwrap.core.errors import Conflict, NotFound
from cashwrap.fulfillment.documents import render
from cashwrap.fulfillment.service import records
from cashwrap.fulfillment.states import Kind, RequestStatus
from cashwrap.locations import service as locations

DOCUMENTS = tuple(render.RENDERERS)


def available(kind: str, tracking_code: str | None, pickup_code: str | None) -> list[str]:
    """The documents a request can print now: labels exist once booked / ready for pickup."""
    names = ["pick_list", "packing_slip"]
    if kind == Kind.SHIP and tracking_code:
        names.append("shipping_label")
    if kind == Kind.PICKUP and pickup_code:
        names.append("pickup_label")
    return names


LABELS = frozenset({"shipping_label", "pickup_label"})


def _order_cancelled(record: records.RequestRecord) -> bool:
    closed = record.status in (RequestStatus.CANCELLED, RequestStatus.FAILED)
    return closed or record.left_by_its_order()


async def document(
    session: AsyncSession, tenant: str, store_id: str, request_id: str, name: str
) -> bytes:
    """The PDF ``name`` (``pick_list``, ``packing_slip``, ``shipping_label``, ``pickup_label``).

    404 ``document_not_found`` for another name; 409 ``document_not_available`` for a label the
    request does not have yet (a shipping label before booking, a pickup label before the
    request is ready for pickup), ``order_cancelled`` for a label of a cancelled order."""
    if name not in render.RENDERERS:
        raise NotFound(
            f"there is no document {name!r}; documents: {', '.join(DOCUMENTS)}",
            code="document_not_found",
        )
    record = await records.get(session, tenant, request_id, store_id=store_id)
    request = record.request
    if name not in available(request["kind"], request["tracking_code"], request["pickup_code"]):
        raise Conflict(
            f"fulfillment request {request_id} has no {name.replace('_', ' ')} yet",
            code="document_not_available",
        )
    if name in LABELS and _order_cancelled(record):
        # A label would send a parcel nobody may ship (its booking is cancelled, or will be).
        raise Conflict(
            f"order {request['external_order_id']} was cancelled; its labels are void",
            code="order_cancelled",
        )
    names: dict[str, str | None] = {}
    for item in record.items:
        product_id = item["product_id"]
        if product_id in names:
            continue
        try:
            product = await catalog.get_product(session, tenant, product_id)
            content = product["content"]
            names[product_id] = content[0]["title"] if content else None
        except NotFound:
            names[product_id] = None
    try:
        location = await locations.get_location(session, tenant, request["fulfillment_node_id"])
        store_name = location.description
    except NotFound:
        store_name = None
    order = record.order.order if record.order else {}
    order_items = record.order_items
    label = request["label"] or {}
    data = render.DocumentData(
        external_order_id=request["external_order_id"],
        order_id=request["order_id"],
        request_id=request["id"],
        fulfillment_node_id=request["fulfillment_node_id"],
        store_id=request["store_id"],
        store_name=store_name,
        service_level=request["service_level"],
        kind=request["kind"],
        created_at=clock.as_utc(request["created_at"]),
        items=[
            render.DocumentItem(
                item_id=item["item_id"],
                product_id=item["product_id"],
                product_name=names.get(item["product_id"])
                or order_items.get(item["item_id"], {}).get("product_name"),
                external_item_id=order_items.get(item["item_id"], {}).get("external_item_id"),
                state=item["state"],
            )
            for item in record.items
            if item["state"] != "cancelled" or name == "pick_list"
        ],
        customer_name=order.get("customer_name"),
        customer_email=order.get("customer_email"),
        shipping_address=order.get("shipping_address") or order.get("billing_address"),
        carrier=request["carrier"],
        rate=request["rate"],
        tracking_code=request["tracking_code"],
        barcode_value=label.get("barcode_value"),
        routing_code=label.get("routing_code"),
        pickup_code=request["pickup_code"],
        package=request["package"],
    )
    return render.RENDERERS[name](data)
