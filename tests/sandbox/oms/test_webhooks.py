"""The sandbox OMS answers the platform's webhooks (b.1, b.2) from what it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.sandbox.oms.conftest import Oms
from tests.sandbox.oms.orders import captured, platform_order


def test_atp_comes_from_the_oms_stock_per_location(oms: Oms):
    oms.stock(("US01", "1000061", 7), ("DC01", "1000061", 40), ("US01", "1000062", 0))
    with oms.client() as client:
        answer = client.post(
            "/availabilities",
            json={
                "products": [
                    {"product_id": "1000061", "external_identifier": "1000061"},
                    {"product_id": "1000062"},
                ],
                "fulfillment_locations": ["US01", "US02", "DC01"],
            },
        )
    assert answer.status_code == 200
    atp = {
        (e["product_id"], e["fulfillment_location"]): e["atp"]
        for e in answer.json()["availabilities"]
    }
    assert atp == {
        ("1000061", "US01"): 7,
        ("1000061", "US02"): 0,
        ("1000061", "DC01"): 40,
        ("1000062", "US01"): 0,
        ("1000062", "US02"): 0,
        ("1000062", "DC01"): 0,
    }
    assert {e["external_identifier"] for e in answer.json()["availabilities"]} == {
        "1000061",
        "1000062",
    }


def test_atp_calls_without_the_key_or_with_a_bad_body_are_refused(oms: Oms):
    with oms.sandbox.client(api_key="not-the-key") as client:
        refused = client.post(
            "/availabilities",
            json={"products": [{"product_id": "1"}], "fulfillment_locations": ["US01"]},
        )
    assert refused.status_code == 401
    with oms.client() as client:
        invalid = client.post("/availabilities", json={"products": [], "fulfillment_locations": []})
    assert invalid.status_code == 400
    assert invalid.json()["error_code"] == "invalid_request"


def test_unrequested_locations_can_be_answered_too(oms: Oms):
    oms.stock(("ZZ99", "1000061", 3))
    oms.sandbox.settings(answer_unrequested_locations=True)
    with oms.client() as client:
        answer = client.post(
            "/availabilities",
            json={"products": [{"product_id": "1000061"}], "fulfillment_locations": ["US01"]},
        ).json()
    assert {e["fulfillment_location"]: e["atp"] for e in answer["availabilities"]} == {
        "US01": 0,
        "ZZ99": 3,
    }


def test_purchase_history_is_the_100_newest_orders_newest_first(oms: Oms):
    generated = oms.admin(
        "POST", "/orders/_generate", json={"customer_email": "Ann@Example.com", "count": 150}
    )
    assert generated.status_code == 201
    with oms.client() as client:
        history = client.get("/orders", params={"consumer_email": "ann@example.com"}).json()
    ids = [order["id"] for order in history["orders"]]
    assert len(ids) == 100
    assert ids[0] == "EXT000001"
    assert ids[-1] == "EXT000100"
    placed = [order["placed_at"] for order in history["orders"]]
    assert placed == sorted(placed, reverse=True)
    assert history["orders"][0]["origin"] == "external"
    assert history["orders"][0]["origin_id"] == "EXT000001"
    assert "payment_history" not in history["orders"][0]  # a summary, not the details


def test_the_history_can_be_made_to_break_the_contract_to_see_the_platform_cope(oms: Oms):
    oms.admin("POST", "/orders/_generate", json={"customer_email": "bo@example.com", "count": 120})
    oms.sandbox.settings(history_limit=150, history_newest_first=False)
    with oms.client() as client:
        history = client.get("/orders", params={"consumer_email": "bo@example.com"}).json()
    assert len(history["orders"]) == 120
    assert history["orders"][0]["id"] == "EXT000120"  # oldest first


def test_purchase_history_needs_a_customer(oms: Oms):
    with oms.client() as client:
        refused = client.get("/orders")
    assert refused.status_code == 400


def test_purchase_history_by_consumer_token(oms: Oms):
    order = {
        "id": "GD000001235",
        "customer_token": "tok-42",
        "placed_at": "2021-11-20T08:11:39Z",
        "items": [{"id": "i1", "product_id": "1000061", "name": "Kate Dress", "price": 88}],
    }
    assert oms.admin("POST", "/orders", json={"orders": [order]}).status_code == 201
    with oms.client() as client:
        history = client.get("/orders", params={"consumer_token": "tok-42"}).json()
    assert [o["id"] for o in history["orders"]] == ["GD000001235"]


def test_order_details_omit_payment_history_when_a_method_is_not_shown(oms: Oms):
    now = datetime.now(UTC)
    orders = [
        {
            "id": "CARD-1",
            "customer_email": "c@example.com",
            "placed_at": (now - timedelta(days=1)).isoformat(),
            "items": [{"id": "a", "product_id": "1000061", "name": "Tee", "price": 29}],
            "payments": [
                {"method": "credit_card", "amount": 29, "payment_information": "VISA ****1111"}
            ],
        },
        {
            "id": "PAYPAL-1",
            "customer_email": "c@example.com",
            "placed_at": now.isoformat(),
            "items": [{"id": "b", "product_id": "1000061", "name": "Tee", "price": 29}],
            "payments": [{"method": "paypal", "amount": 20}, {"method": "cash", "amount": 9}],
        },
    ]
    assert oms.admin("POST", "/orders", json={"orders": orders}).status_code == 201
    with oms.client() as client:
        card = client.get("/orders/CARD-1").json()
        paypal = client.get("/orders/PAYPAL-1").json()
        missing = client.get("/orders/NOPE")
    assert card["payment_history"] == [
        {
            "category": "payment",
            "method": "credit_card",
            "amount": 29.0,
            "currency": "USD",
            "payment_information": "VISA ****1111",
        }
    ]
    assert "payment_history" not in paypal
    assert paypal["totals"]["total"] == 29.0
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "order_not_found"


def test_seeding_an_existing_order_is_refused_and_changes_nothing(oms: Oms):
    order = {
        "id": "X-1",
        "placed_at": "2024-01-01T00:00:00Z",
        "items": [{"id": "a", "product_id": "p", "name": "n", "price": 1}],
    }
    assert oms.admin("POST", "/orders", json={"orders": [order]}).status_code == 201
    again = oms.admin("POST", "/orders", json={"orders": [order, dict(order, id="X-2")]})
    assert again.status_code == 409
    assert oms.admin("GET", "/orders/X-2").status_code == 404
    naive = oms.admin(
        "POST", "/orders", json={"orders": [dict(order, id="X-3", placed_at="2024-01-01T00:00:00")]}
    )
    assert naive.status_code == 400


def test_platform_orders_are_answered_with_origin_newstore(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"), number="CW-000042")
    assert oms.deliver(order).json()["outcome"] == "handled"
    assert oms.deliver(captured(order)).json()["outcome"] == "handled"
    with oms.client() as client:
        details = client.get("/orders/CW-000042").json()
        by_platform_id = client.get(f"/orders/{order.id}").json()
        history = client.get("/orders", params={"consumer_email": "jane@example.com"}).json()
    assert details["origin"] == "newstore"
    assert details["origin_id"] == order.id
    assert [item["origin_id"] for item in details["items"]] == [order.items[0].id]
    assert details["fulfillment_type"] == "in_store_purchase"
    assert details["payment_history"][0]["method"] == "credit_card"
    assert by_platform_id["id"] == "CW-000042"
    assert [o["id"] for o in history["orders"]] == ["CW-000042"]
