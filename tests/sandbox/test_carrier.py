"""The sandbox carrier over HTTP: tracking stages, automatic progress, idempotent booking.

The platform-side client is tested against it in ``tests/outbound/test_shipping.py``.
"""

from __future__ import annotations

import time

from tests.sandbox.support import RunningSandbox

ADDRESS = {"address_line_1": "1 Main St", "city": "New York", "zip_code": "10001", "country": "US"}
SHIPMENT = {
    "sender_address": ADDRESS,
    "consumer_address": ADDRESS,
    "products": [{"product_id": "p-1"}],
    "fulfillment_node_id": "US01",
}


def book(client, key: str | None = None, **changes):
    headers = {"Idempotency-Key": key} if key else {}
    body = SHIPMENT | {
        "rate": "SBX_GROUND",
        "carrier_code": "SANDBOX",
        "external_order_id": "EXT-1",
        "booking_method": "only_shipping",
    }
    return client.post("/shipments", json=body | changes, headers=headers)


def test_tracking_moves_forward_only_and_stops_when_delivered(carrier: RunningSandbox):
    with carrier.client() as client:
        shipment_id = book(client).json()["shipment_id"]
    path = f"/shipments/{shipment_id}/events"
    assert carrier.admin("POST", path, json={"status": "in_transit"}).status_code == 200
    backwards = carrier.admin("POST", path, json={"status": "picked_up"})
    assert (backwards.status_code, backwards.json()["error_code"]) == (409, "invalid_transition")
    delivered = carrier.admin("POST", path, json={"status": "delivered"}).json()
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"] is not None
    assert [e["status"] for e in delivered["events"]] == ["booked", "in_transit", "delivered"]
    late = carrier.admin("POST", path, json={"status": "exception"})
    assert late.status_code == 409
    missing = carrier.admin("POST", "/shipments/nope/events", json={"status": "delivered"})
    assert missing.status_code == 404


def test_automatic_pickup_and_delivery_are_reported_when_due(carrier: RunningSandbox):
    carrier.settings(auto_pickup_seconds=0, auto_deliver_seconds=3600)
    with carrier.client() as client:
        shipment_id = book(client).json()["shipment_id"]
        time.sleep(0.01)
        tracked = client.get(f"/shipments/{shipment_id}").json()
    assert tracked["status"] == "picked_up"
    assert tracked["picked_up_at"] == tracked["booked_at"]
    assert tracked["delivered_at"] is None


def test_a_repeated_booking_key_books_once(carrier: RunningSandbox):
    with carrier.client() as client:
        first = book(client, key="book-1")
        second = book(client, key="book-1", external_order_id="EXT-2")
        other = book(client, key="book-2")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert other.json()["tracking_code"] != first.json()["tracking_code"]


def test_booking_without_an_offer_needs_one_of_the_carrier_s_rates(carrier: RunningSandbox):
    with carrier.client() as client:
        unknown = book(client, rate="WARP_DRIVE")
        mismatch = book(client, carrier_code="STORE")
    assert (unknown.status_code, unknown.json()["error_code"]) == (400, "unknown_rate")
    assert mismatch.json()["error_code"] == "unknown_rate"


def test_an_invalid_booking_names_each_field(carrier: RunningSandbox):
    with carrier.client() as client:
        response = client.post(
            "/shipments",
            json={"rate": "SBX_GROUND", "booking_method": "by_pigeon", "products": []},
        )
    assert response.status_code == 400
    messages = response.json()["messages"]
    for field in ("carrier_code", "external_order_id", "booking_method", "products",
                  "sender_address", "consumer_address"):  # fmt: skip
        assert any(m.startswith(field) for m in messages), (field, messages)
