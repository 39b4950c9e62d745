"""Idempotent on external_id: the same order once, whatever the retries and the races."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.injection.test_fulfill_order import assert_problem
from tests.orders.test_order_core import mixed_cart_draft, place
from tests.support.stores import order_payload


def test_the_same_payload_gets_the_same_answer_byte_for_byte(store):
    payload = order_payload()
    first = store.inject(payload)
    assert first.status_code == 200
    again = store.inject(payload)
    reordered = store.api.post(
        "/v0/d/fulfill_order",
        content=json.dumps(dict(reversed(list(payload.items()))), indent=2),
        headers={"Content-Type": "application/json"},
    )
    assert again.content == first.content
    assert reordered.content == first.content
    assert len(store.requests_of(first.json()["id"])) == 1
    store.wait_event("fulfillment_request.assigned")
    created = [e for e in store.events("order.created") if e["payload"]["id"] == first.json()["id"]]
    assert len(created) == 1


def test_injection_with_different_payload_is_rejected_and_changes_nothing(store):
    payload = order_payload()
    first = store.injected(payload)
    before = store.order(first["id"])
    changed = order_payload(payload["external_id"], node="US02")
    problem = assert_problem(store.inject(changed), "same_order_injection_with_different_data")
    assert problem["order_id"] == first["id"]
    assert store.order(first["id"]) == before
    [request] = store.requests_of(first["id"])
    assert request["fulfillment_node_id"] == "US01"


def test_sixteen_concurrent_identical_requests_create_one_order(store, platform, tenant):
    payload = order_payload()
    token = store.api.headers["Authorization"]

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=platform.url, timeout=60) as client:
            return client.post(
                "/v0/d/fulfill_order", json=payload, headers={"Authorization": token}
            )

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(16)))
    assert [answer.status_code for answer in answers] == [200] * 16
    assert len({answer.content for answer in answers}) == 1
    order_id = answers[0].json()["id"]
    assert len(store.requests_of(order_id)) == 1
    store.wait_event("fulfillment_request.assigned", lambda p: p["order_id"] == order_id)
    assert len(store.events("order.created")) == 1
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert len(insights["reservations"]) == 1
    assert insights["allocations"] == []


def test_a_cancelled_order_stays_cancelled_and_comes_back_under_a_new_number(store):
    payload = order_payload(node="NOWHERE")
    first = store.injected(payload)
    store.wait_event("order.cancelled", lambda p: p["id"] == first["id"])
    assert store.order(first["id"])["items"][0]["status"] == "cancelled"
    again = store.inject(payload)
    assert again.json() == first
    assert store.order(first["id"])["items"][0]["status"] == "cancelled"

    rerouted = store.injected(order_payload(payload["external_id"] + "-2", node="US01"))
    assert rerouted["id"] != first["id"]
    assert store.order(rerouted["id"])["items"][0]["status"] == "in_fulfillment"


def test_an_external_id_taken_by_an_order_of_the_store_is_a_conflict_and_writes_nothing(
    store, platform, tenant
):
    taken = place(platform, mixed_cart_draft(tenant.tenant, "CW-TAKEN-1"))
    payload = order_payload("CW-TAKEN-1")
    for _ in range(2):  # nothing was kept of the first refusal: the second is refused alike
        answer = store.inject(payload)
        assert answer.status_code == 409, answer.text
        assert answer.json()["error_code"] == "duplicate_order_number"
    # The number still names the store's order alone.
    found = store.api.get("/v0/orders/CW-TAKEN-1", params={"id_type": "external"})
    assert found.json()["uuid"] == taken.id
    # A new number goes through.
    assert store.inject(order_payload("CW-TAKEN-2")).status_code == 200


def test_an_order_with_nothing_to_reserve_sent_again_gets_the_same_answer(store):
    # Fulfilled already: nothing to route or reserve, so the record and the order go out together.
    payload = order_payload()
    payload["is_fulfilled"] = True
    first = store.inject(payload)
    assert first.status_code == 200, first.text
    again = store.inject(payload)
    assert again.status_code == 200, again.text
    assert again.content == first.content
    changed = order_payload(payload["external_id"], node="US02")
    changed["is_fulfilled"] = True
    assert_problem(store.inject(changed), "same_order_injection_with_different_data")
