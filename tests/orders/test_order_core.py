"""The order core every flow writes through: placing, reading, moving items, labels."""

from __future__ import annotations

import pytest

from cashwrap.orders import service
from cashwrap.orders.states import (
    FulfilledBy,
    ItemStatus,
    PaymentStatus,
    item_label,
    order_label,
    order_status,
)
from tests.conftest import Platform, TenantCredentials


def place(platform: Platform, draft: service.OrderDraft) -> service.PlacedOrder:
    database = platform.server.app.state.database  # type: ignore[attr-defined]

    async def work() -> service.PlacedOrder:
        async with database.transaction() as session:
            return await service.place_order(session, draft)

    return platform.server.call(work)


def run(platform: Platform, work):
    database = platform.server.app.state.database  # type: ignore[attr-defined]

    async def wrapped():
        async with database.transaction() as session:
            return await work(session)

    return platform.server.call(wrapped)


def mixed_cart_draft(tenant: str, number: str) -> service.OrderDraft:
    return service.OrderDraft(
        tenant=tenant,
        external_id=number,
        source="checkout",
        origin="newstore",
        channel_type="store",
        fulfillment_type="multiple",
        currency="USD",
        price_method="tax_included",
        payment_status=PaymentStatus.CAPTURED,
        store_id="US01",
        customer_email="jane@example.com",
        items=[
            service.ItemDraft(
                product_id="1000061",
                product_name="Kate Dress",
                shipping_service_level="IN_STORE_HANDOVER",
                fulfilled_by=FulfilledBy.CUSTOMER,
                fulfillment_location_id="US01",
                list_price=8800,
                price=8800,
                tax=800,
                tax_lines=[{"amount": 8.0, "rate": 0.1, "name": "VAT"}],
            ),
            service.ItemDraft(
                product_id="10000211",
                shipping_service_level="Priority",
                fulfilled_by=FulfilledBy.EXTERNAL_OMS,
                list_price=5000,
                price=4500,
                discount=500,
                tax=409,
            ),
        ],
    )


def test_a_placed_order_reads_back_through_the_sales_orders_api(platform, tenant, api):
    placed = place(platform, mixed_cart_draft(tenant.tenant, "CW-000001"))
    by_number = api.get("/v0/orders/CW-000001", params={"id_type": "external"})
    assert by_number.status_code == 200, by_number.text
    body = by_number.json()
    assert body["id"] == "CW-000001"
    assert body["origin"] == "newstore"
    assert body["origin_id"] == placed.id
    assert body["fulfillment_type"] == "multiple"
    assert body["totals"]["total"] == 133.0
    assert body["totals"]["discount"] == 5.0
    assert [item["fulfillment_group_type"] for item in body["items"]] == [
        "IN_STORE_HANDOVER",
        "SHIPPING",
    ]
    by_id = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"})
    assert by_id.json() == body


def test_mixed_cart_labels_follow_the_seed_once_the_taken_items_are_handed_over(
    platform, tenant, api
):
    placed = place(platform, mixed_cart_draft(tenant.tenant, "CW-000002"))
    taken = [placed.items[0].id]
    run(platform, lambda s: service.complete_items(s, tenant.tenant, placed.id, taken))
    body = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"}).json()
    assert body["status"] == "closed"
    assert body["status_label"] == "Partially Complete"
    assert body["payment_status_label"] == "Captured"
    assert [item["status_label"] for item in body["items"]] == ["Complete", "Captured"]


def test_the_same_order_number_twice_in_a_tenant_is_a_conflict(platform, tenant):
    from cashwrap.core.errors import Conflict

    place(platform, mixed_cart_draft(tenant.tenant, "CW-DUP"))
    with pytest.raises(Conflict) as raised:
        place(platform, mixed_cart_draft(tenant.tenant, "CW-DUP"))
    assert raised.value.error_code == "duplicate_order_number"
    # Another tenant may use the same number.
    other = platform.create_tenant()
    place(platform, mixed_cart_draft(other.tenant, "CW-DUP"))


def test_another_tenants_order_is_not_found(platform, tenant: TenantCredentials, api):
    other = platform.create_tenant()
    placed = place(platform, mixed_cart_draft(other.tenant, "CW-OTHER"))
    response = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "order_not_found"


def test_id_type_is_required_and_checked(api):
    assert api.get("/v0/orders/x").status_code == 400
    assert api.get("/v0/orders/x", params={"id_type": "sideways"}).status_code == 400


def test_completing_a_cancelled_item_is_refused_and_changes_nothing(platform, tenant, api):
    from cashwrap.core.errors import InvalidTransition

    placed = place(platform, mixed_cart_draft(tenant.tenant, "CW-000003"))
    first = placed.items[0].id
    run(platform, lambda s: service.cancel_items(s, tenant.tenant, placed.id, [first]))
    with pytest.raises(InvalidTransition):
        run(platform, lambda s: service.complete_items(s, tenant.tenant, placed.id, [first]))
    body = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"}).json()
    assert body["items"][0]["status"] == "cancelled"


def test_order_numbers_are_unique_under_concurrency(platform, tenant):
    import asyncio

    database = platform.server.app.state.database

    async def one() -> str:
        async with database.transaction() as session:
            return await service.next_order_number(session, tenant.tenant, "CW-")

    async def many() -> list[str]:
        return await asyncio.gather(*(one() for _ in range(20)))

    numbers = platform.server.call(many)
    assert len(set(numbers)) == 20


@pytest.mark.parametrize(
    ("items", "payment_status", "expected"),
    [
        ([("in_fulfillment", "customer"), ("complete", "customer")], "captured", "open"),
        ([("complete", "customer"), ("cancelled", "customer")], "captured", "closed"),
        ([("on_hold", "store"), ("complete", "customer")], "captured", "on_hold"),
        ([("in_fulfillment", "external_oms")], "captured", "closed"),
        ([("in_fulfillment", "external_oms")], "authorized", "open"),
        ([], "none", "open"),
    ],
)
def test_order_status_is_derived_from_items(items, payment_status, expected):
    assert order_status(items, payment_status=payment_status) == expected


def test_the_seed_validation_table():
    captured = str(PaymentStatus.CAPTURED)
    cash_and_carry = [item_label("complete", FulfilledBy.CUSTOMER, captured)]
    endless_aisle = [item_label("in_fulfillment", FulfilledBy.EXTERNAL_OMS, captured)]
    mixed = cash_and_carry + endless_aisle
    assert (order_label(cash_and_carry), cash_and_carry) == ("Complete", ["Complete"])
    assert (order_label(endless_aisle), endless_aisle) == ("Complete", ["Captured"])
    assert order_label(mixed) == "Partially Complete"
    assert item_label(ItemStatus.IN_FULFILLMENT, FulfilledBy.EXTERNAL_OMS, "authorized") != (
        "Captured"
    )
