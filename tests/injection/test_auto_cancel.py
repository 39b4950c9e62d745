"""Orders the platform cannot take are cancelled with order.cancelled and the reason."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support.stores import order_payload, prepare


def cancelled(store, order_id):
    payload = store.wait_event("order.cancelled", lambda p: p["id"] == order_id)
    order = store.order(order_id)
    assert [item["status"] for item in order["items"]] == ["cancelled"] * len(order["items"])
    assert store.requests_of(order_id) == []
    return payload


def test_an_unknown_fulfillment_location_cancels_the_order(store):
    body = store.injected(order_payload(node="ZZ99"))
    event = cancelled(store, body["id"])
    assert event["reason_code"] == "failed_fulfillment_node_mapping"
    assert "ZZ99" in event["reason"]
    assert [item["id"] for item in event["items"]] == [item["id"] for item in body["items"]]


def test_short_stock_cancels_the_order_even_without_an_atp_check(store):
    body = store.injected(order_payload(products=("1000761",) * 6))
    event = cancelled(store, body["id"])
    assert event["reason_code"] == "insufficient_stock"
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert insights["reservations"] == []
    assert insights["on_hand"] == 5


def test_without_skipping_soft_routing_an_unknown_service_level_cancels(
    api, tenant, tmp_path, oms_sink
):
    store = prepare(api, tenant.tenant, tmp_path, oms_sink, skip_soft_routing=False)
    body = store.injected(order_payload(service_level="Overnight"))
    assert cancelled(store, body["id"])["reason_code"] == "shipping_offer_update_error"


def test_skipping_soft_routing_accepts_a_service_level_nobody_offers(store):
    body = store.injected(order_payload(service_level="Overnight"))
    order = store.order(body["id"])
    assert order["items"][0]["status"] == "in_fulfillment"
    [request] = store.requests_of(body["id"])
    assert request["service_level"] == "Overnight"


def test_the_carrier_offering_nothing_cancels_the_order(api, tenant, tmp_path, oms_sink, carrier):
    store = prepare(
        api, tenant.tenant, tmp_path, oms_sink, skip_soft_routing=False, carrier=carrier
    )
    payload = order_payload()
    payload["shipping_address"]["zip_code"] = "00000"
    body = store.injected(payload)
    assert cancelled(store, body["id"])["reason_code"] == "shipping_offer_update_error"
    assert carrier.calls("shipping_offers")


def test_the_carrier_down_cancels_an_externally_routed_order(
    api, tenant, tmp_path, oms_sink, carrier
):
    store = prepare(
        api, tenant.tenant, tmp_path, oms_sink, skip_soft_routing=False, carrier=carrier
    )
    carrier.dial("shipping_offers", kind="error", status=503, retry_after=0)
    body = store.injected(order_payload())
    assert cancelled(store, body["id"])["reason_code"] == "shipping_provider_communication_error"


def test_the_carrier_down_is_a_transient_error_for_other_orders(
    api, tenant, tmp_path, oms_sink, carrier
):
    store = prepare(
        api, tenant.tenant, tmp_path, oms_sink, skip_soft_routing=False, carrier=carrier
    )
    carrier.dial("shipping_offers", kind="error", status=503, retry_after=0)
    payload = order_payload(strategy="prerouted")
    response = store.inject(payload)
    assert response.status_code == 500, response.text
    assert response.json()["error_code"] == "shipping_provider_communication_error"
    missing = api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"})
    assert missing.status_code == 404
    carrier.admin("DELETE", "/faults")
    assert store.inject(payload).status_code == 200


def test_cancel_on_conflict_can_hold_instead_of_cancelling(store):
    response = store.api.post(
        "/v0/config/routing/cancel_on_conflict",
        json={"value": {"default": True, "reasons_to_overwrite_default": ["insufficient_stock"]}},
    )
    assert response.status_code == 200, response.text
    body = store.injected(order_payload(products=("1000761",) * 6))
    order = store.order(body["id"])
    assert order["status"] == "on_hold"
    assert {item["status"] for item in order["items"]} == {"on_hold"}


def test_more_items_than_the_hard_limit_is_refused_and_the_order_cancelled(
    api, tenant, tmp_path, oms_sink
):
    store = prepare(api, tenant.tenant, tmp_path, oms_sink, hard_limit=2)
    payload = order_payload(products=("1000761", "1000762", "1000763"))
    response = store.inject(payload)
    assert response.status_code == 400
    assert response.json()["error_code"] == "maximum_allowed_number_of_items_exceeded"
    order = api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"}).json()
    event = store.wait_event("order.cancelled", lambda p: p["id"] == order["uuid"])
    assert event["reason_code"] == "maximum_allowed_number_of_items_exceeded"
    again = store.inject(payload)
    assert again.status_code == 400
    assert again.json()["error_code"] == "maximum_allowed_number_of_items_exceeded"


def test_a_big_order_within_the_hard_limit_waits_on_hold(api, tenant, tmp_path, oms_sink):
    store = prepare(api, tenant.tenant, tmp_path, oms_sink, hard_limit=400)
    products = [("1000761", "1000762", "1000763")[number % 3] for number in range(301)]
    body = store.injected(order_payload(products=products, price=1.0, tax=0))
    order = store.order(body["id"])
    assert order["status"] == "on_hold"
    assert len(order["items"]) == 301
    assert store.requests_of(body["id"]) == []


def test_cancelling_an_injected_order_gives_its_units_back_at_once(store):
    def atp() -> int:
        insights = store.api.get(
            "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
        ).json()
        return int(insights["atp"])

    before = atp()
    order = store.injected(order_payload(products=("1000761", "1000761")))
    assert atp() == before - 2

    [first, second] = store.order(order["id"])["items"]
    one = store.api.post(
        f"/v0/orders/{order['id']}/items/{first['uuid']}/cancel",
        params={"id_type": "internal"},
        json={"reason": "customer"},
    )
    assert one.status_code == 200, one.text
    assert atp() == before - 1

    rest = store.api.post(
        f"/v0/orders/{order['id']}/cancel",
        params={"id_type": "internal"},
        json={"reason": "customer"},
    )
    assert rest.status_code == 200, rest.text
    assert atp() == before
    assert [i["status"] for i in store.order(order["id"])["items"]] == ["cancelled"] * 2
    assert second["uuid"] != first["uuid"]


def test_a_configuration_change_applies_to_the_very_next_order(store, platform):
    # The platform keeps the injection settings for a moment; committing a change forgets them.
    assert platform.settings.injection_config_cache_seconds >= 1
    accepted = store.injected(order_payload(service_level="Overnight"))
    assert store.order(accepted["id"])["items"][0]["status"] == "in_fulfillment"

    changed = store.api.post(
        "/v1/r/config/order_injection",
        params={"version": 2},
        json={"skip_soft_routing_on_injection": False},
    )
    assert changed.status_code in (200, 201), changed.text
    body = store.injected(order_payload(service_level="Overnight"))

    assert cancelled(store, body["id"])["reason_code"] == "shipping_offer_update_error"


def test_concurrent_orders_for_the_last_units_reserve_each_unit_once(store, platform):
    """Sixteen orders at once for the five units on hand: five are routed, the rest cancelled.

    On PostgreSQL each order waits for the stock row another holds; what that one reserved
    must count once the row is free.
    """
    token = store.api.headers["Authorization"]
    start = threading.Barrier(16)

    def send(number: int) -> dict[str, Any]:
        with httpx.Client(base_url=platform.url, timeout=60) as client:
            start.wait()
            answer = client.post(
                "/v0/d/fulfill_order",
                json=order_payload(f"LAST-UNITS-{number}"),
                headers={"Authorization": token},
            )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    with ThreadPoolExecutor(max_workers=16) as pool:
        bodies = list(pool.map(send, range(16)))
    statuses = sorted(store.order(body["id"])["items"][0]["status"] for body in bodies)
    assert statuses == ["cancelled"] * 11 + ["in_fulfillment"] * 5
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert len(insights["reservations"]) == 5
    assert insights["atp"] == 0


def test_an_injected_order_holds_its_units_until_the_store_settles_it(store):
    """The tenant's reservations expire after a minute; a store order's hold does not: the store
    may take days to fulfil it, and a unit handed back meanwhile would be promised to the next
    order (one of the two a mispick). Its fulfillment or cancellation settles it."""
    assert (
        store.api.patch("/inventory/config/reservations", json={"expires_in_min": 1}).status_code
        == 204
    )
    body = store.injected(order_payload(products=("1000761",)))

    def holds() -> list[dict[str, Any]]:
        insights = store.api.get(
            "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
        ).json()
        return [r for r in insights["reservations"] if r["order_uuid"] == body["id"]]

    [held] = holds()
    assert held["expires_at"].startswith("9999-12-31")
    cancelled_order = store.api.post(
        f"/v0/orders/{body['id']}/cancel", params={"id_type": "internal"}, json={"reason": "x"}
    )
    assert cancelled_order.status_code == 200, cancelled_order.text
    assert holds() == []
