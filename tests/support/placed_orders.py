"""Orders written straight through the orders core, for tests that need platform orders
before the flows that place them (checkout, injection) are at hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cashwrap.orders import service
from cashwrap.orders.states import FulfilledBy, ItemStatus, PaymentStatus
from tests.conftest import Platform


def place(platform: Platform, draft: service.OrderDraft) -> service.PlacedOrder:
    database = platform.server.app.state.database  # type: ignore[attr-defined]

    async def work() -> service.PlacedOrder:
        async with database.transaction() as session:
            return await service.place_order(session, draft)

    return platform.server.call(work)


def cash_and_carry(
    tenant: str,
    number: str,
    *,
    customer_id: str | None = None,
    customer_email: str | None = None,
    placed_at: datetime | None = None,
    products: tuple[str, ...] = ("1000061",),
    price: int = 8800,
    tax: int = 800,
    store_id: str = "US01",
    **extra: Any,
) -> service.OrderDraft:
    """A paid cash & carry order: one complete unit per entry of ``products``."""
    return service.OrderDraft(
        tenant=tenant,
        external_id=number,
        source="checkout",
        origin="newstore",
        channel_type="store",
        fulfillment_type="in_store_purchase",
        currency="USD",
        payment_status=PaymentStatus.CAPTURED,
        store_id=store_id,
        customer_id=customer_id,
        customer_email=customer_email,
        placed_at=placed_at,
        items=[
            service.ItemDraft(
                product_id=product,
                product_name="Kate Dress",
                shipping_service_level="IN_STORE_HANDOVER",
                fulfilled_by=FulfilledBy.CUSTOMER,
                fulfillment_location_id=store_id,
                list_price=price,
                price=price,
                tax=tax,
                status=ItemStatus.COMPLETE,
            )
            for product in products
        ],
        **extra,
    )
