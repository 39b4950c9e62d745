"""The seed's loop with the sandbox OMS: the OMS routes an endless-aisle order to a store by
injecting it; the store finds an item missing (mispick) or damaged (mispack); the platform
cancels that order with ``order.cancelled``; the OMS re-routes it to another store under a new
order number, which that store fulfils through to ``order.completed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Platform, TenantCredentials
from tests.fulfillment.flows import ASSOCIATE
from tests.sandbox.oms.conftest import Oms, eventually
from tests.sandbox.oms.test_end_to_end import in_platform, place_endless_aisle_order
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo

PRODUCT = "1000062"
STORE_OF = {"US01": "store-new-york", "US02": "store-boston"}


@pytest.fixture
def configured(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
) -> httpx.Client:
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
    return platform.client(tenant)


def store_request(api: httpx.Client, injection: dict[str, Any]) -> dict[str, Any]:
    """The request the store sees for an order the OMS injected."""
    order_id = injection["platform_order_id"]
    [listed] = eventually(
        lambda: api.get(f"/v0/fulfillment_requests/{order_id}").json()["fulfillment_requests"],
        what="the fulfillment request",
    )
    store = STORE_OF[listed["fulfillment_node_id"]]
    view = api.get(f"/v0/stores/{store}/fulfillment_requests/{listed['fulfillment_request_id']}")
    assert view.status_code == 200, view.text
    body: dict[str, Any] = view.json()
    return body


def post(api: httpx.Client, request: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"/v0/stores/{request['store_id']}/fulfillment_requests/{request['id']}/{action}",
        json={"associate_id": ASSOCIATE, **body},
    )
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def first_store_order(api, platform, tenant, oms):
    oms.stock(("DC01", PRODUCT, 0), ("US01", PRODUCT, 1), ("US02", PRODUCT, 1))
    placed = place_endless_aisle_order(platform, tenant.tenant, PRODUCT)
    first = eventually(lambda: in_platform(oms, placed.external_id), what="injected", timeout=30)
    assert first[0]["location"] == "US01"
    return placed, first[0], store_request(api, first[0])


def rerouted(api, oms, placed) -> tuple[dict[str, Any], dict[str, Any]]:
    second = eventually(
        lambda: [i for i in in_platform(oms, placed.external_id) if i["attempt"] == 2],
        what="the re-routed order",
        timeout=30,
    )[0]
    return second, store_request(api, second)


def ship_to_completion(api, carrier, request) -> dict[str, Any]:
    for action in ("start", "pick", "pack", "ship"):
        request = post(api, request, action)
    [booking] = [
        call
        for call in carrier.calls("book_shipment")
        if call["request"]["external_order_id"] == request["external_order_id"]
    ]
    carrier.admin(
        "POST",
        f"/shipments/{booking['response']['shipment_id']}/events",
        json={"status": "picked_up"},
    )
    return post(api, request, "handover")


@pytest.mark.parametrize("failure", ["mispick", "mispack"])
def test_a_store_that_cannot_fulfil_sends_the_order_back_to_the_oms_for_another_store(
    configured,
    platform,
    tenant,
    oms,
    carrier,
    failure,
):
    api = configured
    placed, first, request = first_store_order(api, platform, tenant, oms)
    assert request["external_order_id"] == f"{placed.external_id}-R1"
    item = request["items"][0]["item_id"]
    request = post(api, request, "start")
    if failure == "mispick":
        failed = post(api, request, "mispick", item_ids=[item], note="not on the shelf")
    else:
        request = post(api, request, "pick")
        request = post(api, request, "pack")
        failed = post(api, request, "mispack", item_ids=[item], note="torn")
    assert failed["status"] == "failed"
    assert failed["failure_reason"] == failure
    copy = api.get(f"/v0/orders/{first['platform_order_id']}", params={"id_type": "internal"})
    assert {i["status"] for i in copy.json()["items"]} == {"cancelled"}
    insights = api.get(
        "/v0/stock/insights", params={"product_id": PRODUCT, "fulfillment_node_id": "US01"}
    ).json()
    assert insights["on_hand"] == 19
    assert insights["reservations"] == []

    second, request = rerouted(api, oms, placed)
    assert second["location"] == "US02"
    assert request["external_order_id"] == f"{placed.external_id}-R2"
    assert request["store_id"] == "store-boston"
    done = ship_to_completion(api, carrier, request)
    assert done["status"] == "completed"
    final = api.get(f"/v0/orders/{second['platform_order_id']}", params={"id_type": "internal"})
    assert final.json()["status"] == "closed"
    events = [
        event
        for event in oms.events()
        if event["payload"].get("id") == first["platform_order_id"]
        and event["name"] == "order.cancelled"
    ]
    assert events
    assert events[0]["payload"]["reason_code"] == failure
    eventually(
        lambda: [
            e
            for e in oms.events(name="order.completed")
            if e["payload"]["id"] == second["platform_order_id"]
        ],
        what="the OMS receiving order.completed",
        timeout=30,
    )
