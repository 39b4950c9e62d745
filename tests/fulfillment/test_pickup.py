"""Pick-up in store: queue, pick, pack, pickup label, handover, order.completed."""

from __future__ import annotations

from tests.fulfillment.flows import act, document_text, routed_order, step


def test_pick_up_in_store_from_queue_to_order_completed(store):
    body, request = routed_order(store, service_level="Pickup", strategy="external")
    assert request["kind"] == "pickup"
    assert request["status"] == "dispatched"
    queue = store.api.get("/v0/stores/store-nyc/fulfillment_requests").json()
    assert [r["id"] for r in queue["fulfillment_requests"]] == [request["id"]]
    assert queue["fulfillment_node_id"] == "US01"

    pick_list = document_text(store, request, "pick_list")
    assert body["external_id"] in pick_list
    assert "1000761" in pick_list

    request = step(store, request, "start")
    assert request["status"] == "picking"
    assert store.requests_of(body["id"])[0]["status"] == "acknowledged"
    request = step(store, request, "pick")
    assert request["status"] == "picked"
    assert all(item["picked"] for item in request["items"])
    request = step(store, request, "pack")
    assert request["status"] == "packed"
    request = step(store, request, "ready_for_pickup")
    assert request["status"] == "ready_for_handover"
    code = request["pickup_code"]
    assert code
    assert len(code) == 6
    ready = store.wait_event(
        "fulfillment_request.items_ready_for_handover", lambda p: p["id"] == request["id"]
    )
    assert ready["external_order_id"] == body["external_id"]

    label = document_text(store, request, "pickup_label")
    assert body["external_id"] in label
    assert code in label
    slip = document_text(store, request, "packing_slip")
    assert body["external_id"] in slip

    wrong = act(store, request, "handover", pickup_code="XXXXXX")
    assert wrong.status_code == 400
    assert wrong.json()["error_code"] == "pickup_code_mismatch"
    request = step(store, request, "handover", pickup_code=code)
    assert request["status"] == "completed"

    completed = store.wait_event(
        "fulfillment_request.items_completed", lambda p: p["id"] == request["id"]
    )
    assert [item["id"] for item in completed["items"]] == [body["items"][0]["id"]]
    done = store.wait_event("order.completed", lambda p: p["id"] == body["id"])
    assert done["fulfillment_location_id"] == "US01"
    order = store.order(body["id"])
    assert (order["status"], order["status_label"]) == ("closed", "Complete")
    [listed] = store.requests_of(body["id"])
    assert listed["status"] == "completed"
    assert listed["items"][0]["status"] == "shipped"
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert insights["on_hand"] == 4
    assert insights["reservations"] == []
    assert (
        store.api.get("/v0/stores/store-nyc/fulfillment_requests").json()["fulfillment_requests"]
        == []
    )


def test_steps_out_of_order_are_refused(store):
    _, request = routed_order(store, service_level="Pickup")
    response = act(store, request, "pack")
    assert response.status_code == 409
    assert response.json()["error_code"] == "invalid_transition"
    response = act(store, request, "ship")
    assert response.status_code == 409
    assert response.json()["error_code"] == "wrong_fulfillment_kind"
    response = store.api.get(
        store.store_path(request["store_id"], request["id"], "documents/pickup_label")
    )
    assert response.status_code == 409
    assert response.json()["error_code"] == "document_not_available"


def test_another_stores_request_is_not_found(store):
    _, request = routed_order(store)
    response = store.api.get(store.store_path("store-bos", request["id"]))
    assert response.status_code == 404
    assert response.json()["error_code"] == "fulfillment_request_not_found"


def test_two_associates_starting_at_once_one_wins(store):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    _, request = routed_order(store)
    url = store.api.base_url.join(store.store_path("store-nyc", request["id"], "start"))
    headers = {"Authorization": store.api.headers["Authorization"]}

    def start(associate: str) -> int:
        with httpx.Client(timeout=30) as client:
            return client.post(url, json={"associate_id": associate}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(start, ["assoc-1", "assoc-2"]))
    assert codes == [200, 409]


def test_the_pickup_label_of_a_cancelled_order_is_void(store):
    body, request = routed_order(store, service_level="Pickup")
    for action in ("start", "pick", "pack", "ready_for_pickup"):
        request = step(store, request, action)
    label = store.store_path(request["store_id"], request["id"], "documents/pickup_label")
    assert store.api.get(label).status_code == 200

    cancelled = store.api.post(
        f"/v0/orders/{body['id']}/cancel", params={"id_type": "internal"}, json={"reason": "x"}
    )

    assert cancelled.status_code == 200, cancelled.text
    refused = store.api.get(label)
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "order_cancelled"
    assert document_text(store, request, "packing_slip")  # the slip still says what was packed


def test_requests_of_cancelled_orders_never_crowd_the_queue(store):
    """The OMS cancels orders the store has not finished: however many there are ahead of it, a
    live request is in the queue — the first page holds the oldest requests there is something to
    do for, not the oldest rows."""
    cancelled: list[str] = []
    for _ in range(3):
        body, request = routed_order(store, service_level="Pickup")
        if len(cancelled) == 1:
            request = step(store, request, "start")
        answer = store.api.post(
            f"/v0/orders/{body['id']}/cancel", params={"id_type": "internal"}, json={"reason": "x"}
        )
        assert answer.status_code == 200, answer.text
        cancelled.append(request["id"])
    _, live = routed_order(store, service_level="Pickup")

    queue = store.api.get("/v0/stores/store-nyc/fulfillment_requests", params={"limit": 1})

    assert queue.status_code == 200, queue.text
    assert [r["id"] for r in queue.json()["fulfillment_requests"]] == [live["id"]]
