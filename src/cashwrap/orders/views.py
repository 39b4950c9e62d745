"""An order's rows as the Sales Orders API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cashwrap.core import clock
from cashwrap.core.money import to_wire
from cashwrap.orders import events
from cashwrap.orders.schemas import (
    SalesOrderCustomer,
    SalesOrderDetail,
    SalesOrderDetailResponse,
    SalesOrderExtendedAttribute,
    SalesOrderPaymentHistory,
    SalesOrderPrice,
    SalesOrderProductAttributes,
    SalesOrderTaxLine,
    SalesOrderTotals,
)
from cashwrap.orders.service import OrderRecord
from cashwrap.orders.states import (
    IN_STORE_HANDOVER,
    item_label,
    order_label,
    payment_label,
)


def sales_order(
    record: OrderRecord, *, payment_history: Sequence[Any] | None = None
) -> SalesOrderDetailResponse:
    """``payment_history``: entries with ``amount, category, currency, method,
    payment_information`` (the payments domain's ``HistoryEntry``); None omits it."""
    order = record.order
    currency = order["currency"]
    payment_status = order["payment_status"]
    items = [_item(item, currency, payment_status) for item in record.items]
    totals = events.order_totals(order)
    customer = None
    if any(order[key] for key in ("customer_id", "customer_email", "customer_name")):
        customer = SalesOrderCustomer(
            id=order["customer_id"],
            email=order["customer_email"],
            name=order["customer_name"],
            language=order["customer_language"],
        )
    return SalesOrderDetailResponse(
        id=order["external_id"],
        uuid=order["id"],
        origin=order["origin"],
        origin_id=order["id"] if order["origin"] == "newstore" else order["external_id"],
        channel_type=order["channel_type"],
        currency=currency,
        fulfillment_type=order["fulfillment_type"],
        placed_at=clock.isoformat(clock.as_utc(order["placed_at"])),
        status=order["status"],
        status_label=order_label(item.status_label for item in items),
        payment_status=payment_status,
        payment_status_label=payment_label(payment_status),
        totals=SalesOrderTotals(**totals.model_dump()),
        items=items,
        catalog=order["shop"],
        shop_locale=order["shop_locale"],
        store_id=order["store_id"],
        tax_method="vat_excluded" if order["price_method"] == "tax_excluded" else "vat_included",
        customer=customer,
        billing_address=order["billing_address"],
        shipping_address=order["shipping_address"],
        extended_attributes=[
            SalesOrderExtendedAttribute(**attribute) for attribute in order["extended_attributes"]
        ],
        notification_blacklist=order["notification_blacklist"],
        is_offline=order["is_offline"],
        payment_history=(
            None
            if payment_history is None
            else [
                SalesOrderPaymentHistory(
                    amount=entry.amount,
                    category=entry.category,
                    currency=entry.currency,
                    method=entry.method,
                    payment_information=entry.payment_information,
                )
                for entry in payment_history
            ]
        ),
    )


def _item(item: dict[str, Any], currency: str, payment_status: str) -> SalesOrderDetail:
    def money(amount: int) -> float:
        return to_wire(amount, currency)

    paid = item["price"] - item["order_discount"]
    return SalesOrderDetail(
        id=item["external_item_id"] or item["id"],
        origin_id=item["id"],
        product_id=item["product_id"],
        price=SalesOrderPrice(
            base=money(item["list_price"]),
            discount=money(item["discount"] + item["order_discount"]),
            gross=money(paid),
            net=money(paid - item["tax"]),
            tax=money(item["tax"]),
        ),
        product_attributes=SalesOrderProductAttributes(
            name=item["product_name"] or item["product_id"]
        ),
        status=item["status"],
        shipping_method=item["shipping_service_level"],
        fulfillment_group_type=(
            "IN_STORE_HANDOVER"
            if item["shipping_service_level"] == IN_STORE_HANDOVER
            else "SHIPPING"
        ),
        tax_lines=[
            SalesOrderTaxLine(
                amount=float(line["amount"]),
                rate=float(line.get("rate") or 0),
                name=line.get("name"),
                country_code=line.get("country_code"),
            )
            for line in item["tax_lines"]
        ],
        extended_attributes=[
            SalesOrderExtendedAttribute(**attribute) for attribute in item["extended_attributes"]
        ],
        addon_parent_item_id=item["addon_parent_item_id"],
        uuid=item["id"],
        status_label=item_label(item["status"], item["fulfilled_by"], payment_status),
        fulfilled_by=item["fulfilled_by"],
        fulfillment_location_id=item["fulfillment_location_id"],
    )
