"""The seed's store-fulfillment loop with the real platform: an endless-aisle order placed in the
platform reaches the OMS, which routes it back to a store by injecting it under another number
(routing ``external``); when the platform cancels that order, the OMS re-routes it to another
store under a new number."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cashwrap.orders import service as orders
from cashwrap.orders.states import FulfilledBy, ItemStatus, PaymentStatus
from tests.conftest import Platform, TenantCredentials
from tests.sandbox.oms.conftest import Oms, eventually
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo


@pytest.fixture
def configured(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
) -> httpx.Client:
    """A tenant set up as the demo sets up its own; its API client."""
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
    return platform.client(tenant)


def place_endless_aisle_order(platform: Platform, tenant: str, product: str) -> Any:
    """An endless-aisle order as a checkout writes it (the checkout itself is tested elsewhere)."""
    database = platform.server.app.state.database  # type: ignore[attr-defined]
    draft = orders.OrderDraft(
        tenant=tenant,
        external_id=f"CW-E2E-{uuid.uuid4().hex[:6].upper()}",
        source="checkout",
        origin="newstore",
        channel_type="store",
        fulfillment_type="traditional",
        currency="USD",
        store_id="store-new-york",
        customer_email="e2e@example.com",
        shipping_address={
            "address_line_1": "1 Main St",
            "city": "New York",
            "zip_code": "10001",
            "country": "US",
        },
        payment_status=PaymentStatus.CAPTURED,
        items=[
            orders.ItemDraft(
                product_id=product,
                shipping_service_level="Priority",
                fulfilled_by=FulfilledBy.EXTERNAL_OMS,
                list_price=2900,
                price=2900,
                status=ItemStatus.IN_FULFILLMENT,
            )
        ],
    )

    async def work() -> orders.PlacedOrder:
        async with database.transaction() as session:
            return await orders.place_order(session, draft)

    return platform.server.call(work)


def in_platform(oms: Oms, order_id: str) -> list[dict[str, Any]]:
    """The OMS's store fulfillments of an order that the platform accepted."""
    return [
        injection
        for injection in oms.injections(order_id=order_id)
        if injection["status"] in ("injected", "assigned") and injection["platform_order_id"]
    ]


def test_the_oms_routes_to_a_store_and_re_routes_after_a_cancellation(
    configured: httpx.Client, platform: Platform, tenant: TenantCredentials, oms: Oms
):
    api = configured
    product = "1000062"
    oms.stock(("DC01", product, 0), ("US01", product, 1), ("US02", product, 1))
    placed = place_endless_aisle_order(platform, tenant.tenant, product)

    first = eventually(lambda: in_platform(oms, placed.external_id), what="injected", timeout=30)[0]
    assert first["location"] == "US01"
    assert first["external_id"] == f"{placed.external_id}-R1"
    copy = api.get(f"/v0/orders/{first['platform_order_id']}", params={"id_type": "internal"})
    assert copy.status_code == 200, copy.text
    assert copy.json()["id"] == first["external_id"]
    requests = eventually(
        lambda: api.get(f"/v0/fulfillment_requests/{first['platform_order_id']}").json()[
            "fulfillment_requests"
        ],
        what="the fulfillment request",
    )
    assert requests[0]["fulfillment_node_id"] == "US01"
    # The OMS saw the copy's own order.created and did not take it for a new order.
    assert [o["id"] for o in oms.admin("GET", "/orders").json()["orders"]] == [placed.external_id]

    cancelled = api.post(
        f"/v0/orders/{first['platform_order_id']}/cancel",
        params={"id_type": "internal"},
        json={"reason": "mispick", "note": "not on the shelf"},
    )
    assert cancelled.status_code == 200, cancelled.text
    second = eventually(
        lambda: [i for i in in_platform(oms, placed.external_id) if i["attempt"] == 2],
        what="the re-routed order",
        timeout=30,
    )[0]
    assert second["location"] == "US02"
    assert second["external_id"] == f"{placed.external_id}-R2"
    again = api.get(f"/v0/orders/{second['platform_order_id']}", params={"id_type": "internal"})
    assert again.json()["id"] == second["external_id"]
    # Asked by the number on its labels, the OMS answers with the items that store fulfils.
    details = api.get(f"/v0/orders/{second['external_id']}", params={"id_type": "external"})
    assert details.status_code == 200, details.text
    assert details.json()["origin_id"] == placed.id
    held = oms.order(placed.external_id)
    assert next(f["status"] for f in held["fulfillments"]) == "cancelled"
    assert held["fulfillments"][1]["status"] in ("injected", "assigned")
