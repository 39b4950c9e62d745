"""The OMS's orders: the webhook document built from ``order.created``, statuses, lookups.

An order's ``document`` is the external-order webhook's ``OrderDetail`` (b.2) plus a few
members of the OMS's own, prefixed ``_`` (the platform's prices and the payments it reported),
which the webhook models leave out of every answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.events.catalog import OrderPayloadBase
from cashwrap.sandbox.oms.models import Fulfillment, OmsOrder

IN_STORE_HANDOVER = "IN_STORE_HANDOVER"
FULFILLMENT_TYPES = {
    "traditional",
    "same_day_delivery",
    "in_store_pickup",
    "in_store_purchase",
    "multiple",
}
DONE = frozenset({"complete", "cancelled", "returned"})


def stamp(value: datetime) -> str:
    return clock.isoformat(clock.as_utc(value))


def order_status(items: Iterable[dict[str, Any]]) -> str:
    """The OMS's status of an order from its items' (the webhook samples use item words)."""
    statuses = [item["status"] for item in items]
    if not statuses:
        return "in_fulfillment"
    if all(status == "cancelled" for status in statuses):
        return "cancelled"
    if all(status in DONE for status in statuses):
        return "complete"
    if any(status == "on_hold" for status in statuses):
        return "on_hold"
    return "in_fulfillment"


def _item(payload_item: Any, price_method: str | None) -> dict[str, Any]:
    price = payload_item.price
    paid = price.item_price - price.item_order_discounts
    if price_method == "tax_excluded":
        net, gross = paid, paid + price.item_tax
    else:
        net, gross = paid - price.item_tax, paid
    taken_now = payload_item.shipping_service_level == IN_STORE_HANDOVER
    # The seed: the OMS keeps its own statuses; the platform's "pending" (grace period) is not
    # copied. Items taken home are complete; the others are the OMS's to fulfil.
    status = "complete" if taken_now and payload_item.status == "complete" else "in_fulfillment"
    if payload_item.status == "cancelled":
        status = "cancelled"
    return {
        "id": payload_item.id,
        "origin_id": payload_item.id,
        "product_id": payload_item.product_id,
        "status": status,
        "price": {
            "net": round(net, 2),
            "tax": round(price.item_tax, 2),
            "gross": round(gross, 2),
            "discount": round(price.item_discounts + price.item_order_discounts, 2),
        },
        "product_attributes": {"name": payload_item.product_name or payload_item.product_id},
        "external_identifier": {"sku": payload_item.product_id},
        "shipping_service_level": payload_item.shipping_service_level,
        "fulfillment_location_id": payload_item.fulfillment_location_id,
        "_price": price.model_dump(mode="json"),
    }


def document_from(payload: OrderPayloadBase, number: str) -> dict[str, Any]:
    """The webhook document of a platform order (``origin`` newstore)."""
    items = [_item(item, payload.price_method) for item in payload.items]
    levels = {item["shipping_service_level"] for item in items}
    fulfillment_type = payload.fulfillment_type
    if fulfillment_type not in FULFILLMENT_TYPES:
        if levels == {IN_STORE_HANDOVER}:
            fulfillment_type = "in_store_purchase"
        elif IN_STORE_HANDOVER in levels:
            fulfillment_type = "multiple"
        else:
            fulfillment_type = "traditional"
    totals = payload.totals
    return {
        "id": number,
        "placed_at": stamp(payload.placed_at),
        "channel_type": "store" if payload.channel_type == "store" else "web",
        "origin": "newstore",
        "origin_id": payload.id,
        "status": order_status(items),
        "currency": payload.currency,
        "fulfillment_type": fulfillment_type,
        "items": items,
        "customer": {
            "id": payload.customer_id,
            "name": payload.customer_name,
            "email": payload.customer_email,
        },
        "totals": {
            "net": totals.net,
            "tax": totals.tax,
            "gross": totals.gross,
            "discount": totals.discount,
            "shipping": totals.shipping,
            "total": totals.total,
        },
        "payment_history": [],
        "shipping_address": (
            payload.shipping_address.model_dump(exclude_none=True)
            if payload.shipping_address
            else None
        ),
        "billing_address": (
            payload.billing_address.model_dump(exclude_none=True)
            if payload.billing_address
            else None
        ),
        "store_id": payload.store_id,
        "tax_method": "vat_excluded" if payload.price_method == "tax_excluded" else "vat_included",
        "_price_method": payload.price_method or "tax_included",
        "_channel_type": payload.channel_type,
        "_payments": [payment.model_dump(mode="json") for payment in payload.payments],
    }


def set_document(order: OmsOrder, document: dict[str, Any]) -> None:
    """Replace the document (a new object, so that the JSON column is written) and the status."""
    document = dict(document)
    document["status"] = order_status(document["items"])
    order.document = document
    order.status = document["status"]
    order.updated_at = clock.now()


def set_items(order: OmsOrder, item_ids: Iterable[str], status: str) -> None:
    wanted = set(item_ids)
    document = dict(order.document)
    document["items"] = [
        dict(item, status=status) if item["id"] in wanted else item for item in document["items"]
    ]
    set_document(order, document)


async def by_origin_id(session: AsyncSession, origin_id: str) -> OmsOrder | None:
    found: OmsOrder | None = await session.scalar(
        select(OmsOrder).where(OmsOrder.origin_id == origin_id).limit(1)
    )
    return found


async def by_id(session: AsyncSession, order_id: str) -> OmsOrder | None:
    """By the OMS's number, else by the origin's id."""
    found = await session.get(OmsOrder, order_id)
    return found if found is not None else await by_origin_id(session, order_id)


async def store_copy(
    session: AsyncSession, *, platform_order_id: str | None, external_id: str | None
) -> Fulfillment | None:
    """The fulfillment whose injected order is this platform order (by its id or number)."""
    conditions = []
    if platform_order_id:
        conditions.append(Fulfillment.platform_order_id == platform_order_id)
    if external_id:
        conditions.append(Fulfillment.external_id == external_id)
    if not conditions:
        return None
    found: Fulfillment | None = await session.scalar(
        select(Fulfillment).where(or_(*conditions)).limit(1)
    )
    return found
