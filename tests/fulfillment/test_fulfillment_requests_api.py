"""The Fulfillment Requests API (c.3): listing an order's requests and set_items_states."""

from __future__ import annotations

import uuid

from tests.fulfillment.flows import routed_order, step
from tests.injection.test_fulfill_order import assert_problem
from tests.support.stores import order_payload


def set_states(store, request_id, *lines, **body):
    return store.api.post(
        f"/v0/fulfillment_request/{request_id}/set_items_states",
        json={"line_items": [{"item_id": i, "state": s} for i, s in lines], **body},
    )


def two_item_order(store):
    body = store.injected(order_payload(products=("1000761", "1000762")))
    [request] = store.requests_of(body["id"])
    return body, request, [item["item_id"] for item in request["items"]]


def test_an_unknown_order_has_no_fulfillment_requests(store):
    response = store.api.get(f"/v0/fulfillment_requests/{uuid.uuid4()}")
    assert response.status_code == 200
    assert response.json() == {"fulfillment_requests": []}


def test_shipping_items_one_event_each_then_order_completed(store):
    body, request, (first, second) = two_item_order(store)
    response = set_states(
        store, request["fulfillment_request_id"], (first, "shipped"),
        carrier="USPS", tracking_code="9400100000000000000000", associate_id="assoc-17",
    )  # fmt: skip
    assert response.status_code == 204, response.text
    [listed] = store.requests_of(body["id"])
    assert listed["status"] == "partially_completed"
    assert listed["items"][0]["status"] == "shipped"
    assert listed["items"][0]["carrier"] == "USPS"
    assert listed["items"][0]["tracking_code"] == "9400100000000000000000"
    assert listed["items"][1]["status"] == "dispatched"

    response = set_states(
        store, request["fulfillment_request_id"], (second, "shipped"), tracking_code="T2"
    )
    assert response.status_code == 204, response.text
    [listed] = store.requests_of(body["id"])
    assert listed["status"] == "completed"
    store.wait_event("order.completed", lambda p: p["id"] == body["id"])
    completions = [
        e["payload"]
        for e in store.events("fulfillment_request.items_completed")
        if e["payload"]["id"] == request["fulfillment_request_id"]
    ]
    assert sorted(len(p["items"]) for p in completions) == [1, 1]
    assert store.order(body["id"])["status"] == "closed"


def test_shipping_and_rejecting_in_one_call_is_refused(store):
    body, request, (first, second) = two_item_order(store)
    response = set_states(
        store, request["fulfillment_request_id"], (first, "shipped"), (second, "rejected"),
        reason="rescinded",
    )  # fmt: skip
    assert_problem(response, "mixed_item_states")
    assert store.requests_of(body["id"]) == [request]


def test_rejecting_a_stores_items_needs_the_reason_rescinded(store):
    body, request, (first, _) = two_item_order(store)
    response = set_states(store, request["fulfillment_request_id"], (first, "rejected"))
    assert_problem(response, "rescinded_reason_required")
    assert store.requests_of(body["id"]) == [request]


def test_rescinding_every_item_cancels_the_order_without_touching_stock(store):
    body, request, (first, second) = two_item_order(store)
    response = set_states(
        store, request["fulfillment_request_id"], (first, "rejected"), (second, "rejected"),
        reason="rescinded",
    )  # fmt: skip
    assert response.status_code == 204, response.text
    [listed] = store.requests_of(body["id"])
    assert listed["status"] == "completed"
    assert [item["status"] for item in listed["items"]] == ["rejected", "rejected"]
    event = store.wait_event("order.cancelled", lambda p: p["id"] == body["id"])
    assert event["reason_code"] == "rescinded"
    failed = store.wait_event(
        "fulfillment_request.items_failed", lambda p: p["id"] == request["fulfillment_request_id"]
    )
    assert len(failed["items"]) == 2
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert (insights["on_hand"], insights["reservations"]) == (5, [])


def test_a_store_request_taken_by_an_associate_can_no_longer_be_updated(store):
    _body, request = routed_order(store)
    step(store, request, "start")
    item = request["items"][0]["item_id"]
    response = set_states(store, request["id"], (item, "shipped"))
    assert_problem(response, "fulfillment_request_in_progress")


def test_items_in_a_final_state_stay_there(store):
    _body, request, (first, _) = two_item_order(store)
    assert (
        set_states(store, request["fulfillment_request_id"], (first, "shipped")).status_code == 204
    )
    response = set_states(store, request["fulfillment_request_id"], (first, "shipped"))
    assert_problem(response, "item_in_final_state")


def test_unknown_requests_and_items_are_not_found(store):
    _body, request, _ = two_item_order(store)
    missing = set_states(store, str(uuid.uuid4()), (str(uuid.uuid4()), "shipped"))
    assert_problem(missing, "fulfillment_request_not_found", 404)
    other = set_states(store, request["fulfillment_request_id"], (str(uuid.uuid4()), "shipped"))
    assert_problem(other, "fulfillment_request_item_not_found", 404)
    bad = set_states(store, request["fulfillment_request_id"], ("not-a-uuid", "shipped"))
    assert bad.status_code == 400


def test_a_cancelled_order_shows_its_open_items_cancelled(store):
    body, _request, _ = two_item_order(store)
    response = store.api.post(
        f"/v0/orders/{body['id']}/cancel",
        params={"id_type": "internal"},
        json={"reason": "customer"},
    )
    assert response.status_code == 200, response.text
    [listed] = store.requests_of(body["id"])
    assert [item["status"] for item in listed["items"]] == ["cancelled", "cancelled"]
    assert listed["status"] == "completed"
    queue = store.api.get("/v0/stores/store-nyc/fulfillment_requests").json()
    assert queue["fulfillment_requests"] == []
