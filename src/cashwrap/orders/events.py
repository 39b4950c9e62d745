"""The order events' payloads, built from an order's rows (never re-read from the database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cashwrap.core.money import to_wire
from cashwrap.events import catalog


def order_created(
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    payments: Sequence[Mapping[str, Any]],
) -> catalog.OrderCreated:
    currency = order["currency"]

    def money(amount: int) -> float:
        return to_wire(amount, currency)

    return catalog.OrderCreated(
        id=order["id"],
        external_id=order["external_id"],
        channel_type=order["channel_type"],
        channel_name=order["channel_name"],
        origin=order["origin"],
        is_historical=order["is_historical"],
        is_exchange=order["is_exchange"],
        status=order["status"],
        fulfillment_type=order["fulfillment_type"],
        placed_at=order["placed_at"],
        created_at=order["created_at"],
        currency=currency,
        price_method=order["price_method"],
        store_id=order["store_id"],
        associate_id=order["associate_id"],
        associate_email=order["associate_email"],
        customer_id=order["customer_id"],
        customer_email=order["customer_email"],
        customer_name=order["customer_name"],
        billing_address=_address(order["billing_address"]),
        shipping_address=_address(order["shipping_address"]),
        items=[
            catalog.OrderItem(
                id=item["id"],
                external_item_id=item["external_item_id"],
                product_id=item["product_id"],
                product_name=item["product_name"],
                status=item["status"],
                shipping_service_level=item["shipping_service_level"],
                fulfillment_location_id=item["fulfillment_location_id"],
                price=catalog.ItemPrice(
                    item_price=money(item["price"]),
                    item_list_price=money(item["list_price"]),
                    item_tax=money(item["tax"]),
                    item_discounts=money(item["discount"]),
                    item_order_discounts=money(item["order_discount"]),
                    item_tax_lines=[
                        catalog.TaxLine(
                            amount=float(line["amount"]),
                            rate=line.get("rate"),
                            name=line.get("name"),
                        )
                        for line in item["tax_lines"]
                    ],
                ),
                extended_attributes=[
                    catalog.ExtendedAttribute(name=a["name"], value=a["value"])
                    for a in item["extended_attributes"]
                ],
            )
            for item in items
        ],
        totals=order_totals(order),
        payment_status=order["payment_status"],
        payments=[catalog.OrderPayment(**payment) for payment in payments],
        extended_attributes=[
            catalog.ExtendedAttribute(name=a["name"], value=a["value"])
            for a in order["extended_attributes"]
        ],
    )


def order_totals(order: Mapping[str, Any]) -> catalog.OrderTotals:
    """``total = net + tax + shipping``; ``gross`` is what the items cost, tax included."""
    currency = order["currency"]
    shipping = order["shipping_total"]
    if order["price_method"] == "tax_excluded":
        shipping += order["shipping_tax"]
    gross = order["grand_total"] - shipping
    return catalog.OrderTotals(
        net=to_wire(gross - order["tax_total"], currency),
        tax=to_wire(order["tax_total"], currency),
        gross=to_wire(gross, currency),
        discount=to_wire(order["discount_total"], currency),
        shipping=to_wire(shipping, currency),
        total=to_wire(order["grand_total"], currency),
    )


def order_completed(
    order: dict[str, Any], items: Sequence[dict[str, Any]], completed_at: datetime
) -> catalog.OrderCompleted:
    return catalog.OrderCompleted(
        id=order["id"],
        external_id=order["external_id"],
        channel_type=order["channel_type"],
        status=order["status"],
        completed_at=completed_at,
        fulfillment_location_id=_single_location(items),
        associate_id=order["associate_id"],
        items=[
            catalog.OrderStatusItem(id=i["id"], product_id=i["product_id"], status=i["status"])
            for i in items
        ],
    )


def order_cancelled(
    order: dict[str, Any],
    items: Sequence[dict[str, Any]],
    *,
    cancelled_at: datetime,
    reason: str,
    reason_code: str | None,
    note: str | None,
    associate_id: str | None,
) -> catalog.OrderCancelled:
    return catalog.OrderCancelled(
        id=order["id"],
        external_id=order["external_id"],
        cancelled_at=cancelled_at,
        reason=reason,
        reason_code=reason_code,
        note=note,
        fulfillment_location_id=_single_location(items),
        associate_id=associate_id,
        items=[catalog.CancelledItem(id=i["id"], product_id=i["product_id"]) for i in items],
    )


def order_items_cancelled(
    order: dict[str, Any],
    items: Sequence[dict[str, Any]],
    *,
    cancelled_at: datetime,
    reason: str | None,
) -> catalog.OrderItemsCancelled:
    return catalog.OrderItemsCancelled(
        id=order["id"],
        external_id=order["external_id"],
        cancelled_at=cancelled_at,
        reason=reason,
        items=[catalog.CancelledItem(id=i["id"], product_id=i["product_id"]) for i in items],
    )


def _single_location(items: Sequence[dict[str, Any]]) -> str | None:
    locations = {item["fulfillment_location_id"] for item in items} - {None}
    return locations.pop() if len(locations) == 1 else None


def _address(address: Mapping[str, Any] | None) -> catalog.Address | None:
    if not address:
        return None
    fields = catalog.Address.model_fields
    return catalog.Address(**{key: value for key, value in address.items() if key in fields})
