"""Platform orders as ``order.created`` payloads, for the sandbox OMS's tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cashwrap.events import catalog


def platform_order(
    *lines: tuple[str, str],
    number: str | None = None,
    email: str = "jane@example.com",
    payments: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> catalog.OrderCreated:
    """``lines`` are ``(product_id, service_level)``, one unit each (IN_STORE_HANDOVER: taken
    now, complete; anything else: shipped, in fulfillment)."""
    now = datetime.now(UTC)
    items = [
        {
            "id": str(uuid.uuid4()),
            "external_item_id": f"L{index}",
            "product_id": product,
            "product_name": f"Product {product}",
            "status": "complete" if level == "IN_STORE_HANDOVER" else "in_fulfillment",
            "shipping_service_level": level,
            "price": {
                "item_price": 50.0,
                "item_list_price": 50.0,
                "item_tax": 4.0,
                "item_tax_lines": [{"amount": 4.0, "rate": 0.08, "name": "VAT"}],
            },
        }
        for index, (product, level) in enumerate(lines, start=1)
    ]
    total = 50.0 * len(items)
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "external_id": number or f"CW-{uuid.uuid4().hex[:8].upper()}",
        "channel_type": "store",
        "channel_name": "associate-app",
        "status": "open",
        "placed_at": now,
        "created_at": now,
        "currency": "USD",
        "price_method": "tax_included",
        "store_id": "store-new-york",
        "customer_email": email,
        "customer_name": "Jane Doe",
        "shipping_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "address_line_1": "1 Main St",
            "city": "New York",
            "zip_code": "10001",
            "country": "US",
        },
        "items": items,
        "totals": {
            "net": total - 4.0 * len(items),
            "tax": 4.0 * len(items),
            "gross": total,
            "total": total,
        },
        "payment_status": "captured",
        "payments": payments
        if payments is not None
        else [{"method": "credit_card", "type": "captured", "amount": total, "currency": "USD"}],
        "logical_timestamp": 1,
    }
    fields.update(overrides)
    return catalog.OrderCreated.model_validate(fields)


def captured(order: catalog.OrderCreated, method: str = "credit_card") -> catalog.EventPayload:
    return catalog.PaymentAccountAmountCaptured(
        id=order.id,
        order_id=order.id,
        transactions=[
            catalog.PaymentTransaction(
                id=str(uuid.uuid4()),
                instrument_id="i1",
                amount=order.totals.total,
                currency="USD",
                correlation_id=str(uuid.uuid4()),
            )
        ],
        instruments=[
            catalog.PaymentInstrument(id="i1", payment_method=method, payment_provider="psp")
        ],
        logical_timestamp=2,
    )


def completed(order_id: str, **fields: Any) -> catalog.OrderCompleted:
    fields.setdefault("logical_timestamp", 3)
    return catalog.OrderCompleted(id=order_id, completed_at=datetime.now(UTC), items=[], **fields)


def cancelled(order_id: str, reason_code: str = "mispick", **fields: Any) -> catalog.OrderCancelled:
    fields.setdefault("logical_timestamp", 2)
    return catalog.OrderCancelled(
        id=order_id,
        cancelled_at=datetime.now(UTC),
        reason="an item was not found in the store",
        reason_code=reason_code,
        **fields,
    )
