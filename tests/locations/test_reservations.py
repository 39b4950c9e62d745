"""The Reservations API: holds on stock, their lifecycle, expiry, idempotency and races."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.catalog.zips import stock

VND = "application/vnd.com.newstore.reservations+json; version=1"


def create(api, key, *, location="US01", products=("tee",), **extra):
    return api.post(
        "/inventory/reservations",
        json={
            "customer_profile_id": "customer-7",
            "location_id": location,
            "items": [{"product_id": product} for product in products],
            **extra,
        },
        headers={"Idempotency-Key": key, "Content-Type": VND},
    )


def atp(api, product="tee", node="US01"):
    insights = api.get(
        "/v0/stock/insights", params={"product_id": product, "fulfillment_node_id": node}
    )
    assert insights.status_code == 200, insights.text
    return insights.json()["atp"]


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def shelf(api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 5), ("US01", "cap", 1), ("US02", "tee", 1)])


def test_a_reservation_holds_one_unit_per_item_for_24_hours(api, shelf):
    response = create(api, "k1", products=["tee", "tee", "cap"], associate_id="assoc-1")

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == body["id"]
    assert body["status"] == "RESERVED"
    assert body["location_id"] == "US01"
    assert body["associate_id"] == "assoc-1"
    assert [item["status"] for item in body["items"]] == ["RESERVED"] * 3
    assert len(body["external_id"]) == 8
    lifetime = moment(body["expires_at"]) - moment(body["created_at"])
    assert lifetime == timedelta(hours=24)
    assert atp(api) == 3
    assert atp(api, "cap") == 0
    assert api.get(f"/inventory/reservations/{body['id']}").json() == body


def test_the_same_idempotency_key_returns_the_first_reservation(api, shelf):
    first = create(api, "same")
    again = create(api, "same")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert atp(api) == 4

    different = create(api, "same", products=["cap"])
    assert different.status_code == 409
    assert different.json()["error_code"] == "idempotency_key_reused"

    no_key = api.post(
        "/inventory/reservations",
        json={"customer_profile_id": "c", "location_id": "US01", "items": [{"product_id": "tee"}]},
    )
    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["message"]


def test_not_enough_stock_is_409_and_creates_nothing(api, shelf):
    refused = create(api, "greedy", products=["tee"] * 6)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error_code"] == "insufficient_stock"
    assert body["products"] == {"tee": {"requested": 6, "available": 5}}
    assert api.get("/inventory/reservations").json()["pagination_info"]["total"] == 0
    assert atp(api) == 5

    unknown = create(api, "nowhere", location="ZZ99")
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "location_not_found"


def test_a_pending_reservation_holds_nothing_until_accepted(api, shelf):
    pending = create(api, "p1", products=["tee", "tee"], status="PENDING").json()
    assert pending["status"] == "PENDING"
    assert atp(api) == 5

    items = api.patch(
        f"/inventory/reservations/{pending['id']}/items",
        json=[{"id": pending["items"][0]["id"], "status": "CONVERTED"}],
    )
    assert items.status_code == 409
    assert items.json()["error_code"] == "reservation_not_accepted"

    accepted = api.patch(f"/inventory/reservations/{pending['id']}", json={"status": "RESERVED"})
    assert accepted.status_code == 204
    body = api.get(f"/inventory/reservations/{pending['id']}").json()
    assert body["status"] == "RESERVED"
    assert {item["status"] for item in body["items"]} == {"RESERVED"}
    assert moment(body["expires_at"]) > moment(pending["expires_at"])
    assert atp(api) == 3

    twice = api.patch(f"/inventory/reservations/{pending['id']}", json={"status": "REJECTED"})
    assert twice.status_code == 409
    assert twice.json()["error_code"] == "invalid_transition"


def test_a_pending_reservation_can_be_rejected(api, shelf):
    pending = create(api, "p2", status="PENDING").json()
    assert (
        api.patch(
            f"/inventory/reservations/{pending['id']}", json={"status": "REJECTED"}
        ).status_code
        == 204
    )
    body = api.get(f"/inventory/reservations/{pending['id']}").json()
    assert body["status"] == "REJECTED"
    assert body["items"][0]["status"] == "REJECTED"


def test_accepting_a_pending_reservation_needs_the_units(api, shelf):
    pending = create(api, "p3", products=["cap"], status="PENDING").json()
    create(api, "takes-the-cap", products=["cap"])
    refused = api.patch(f"/inventory/reservations/{pending['id']}", json={"status": "RESERVED"})
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "insufficient_stock"
    assert api.get(f"/inventory/reservations/{pending['id']}").json()["status"] == "PENDING"


def test_items_are_converted_or_unreserved_once_and_the_reservation_follows(api, shelf):
    body = create(api, "items", products=["tee", "tee", "tee"]).json()
    first, second, third = (item["id"] for item in body["items"])

    def update(*changes):
        return api.patch(f"/inventory/reservations/{body['id']}/items", json=list(changes))

    assert update({"id": first, "status": "CONVERTED", "cart_id": "cart-9"}).status_code == 204
    current = api.get(f"/inventory/reservations/{body['id']}").json()
    assert current["status"] == "RESERVED"
    assert current["items"][0] == {
        **current["items"][0],
        "status": "CONVERTED",
        "cart_id": "cart-9",
    }
    insights = api.get(
        "/v0/stock/insights", params={"product_id": "tee", "fulfillment_node_id": "US01"}
    ).json()
    assert (insights["on_hand"], insights["atp"]) == (4, 2)

    again = update({"id": first, "status": "UNRESERVED"})
    assert again.status_code == 409
    assert again.json()["error_code"] == "invalid_transition"
    assert update({"id": "no-such-item", "status": "UNRESERVED"}).status_code == 404

    assert (
        update(
            {"id": second, "status": "UNRESERVED"}, {"id": third, "status": "UNRESERVED"}
        ).status_code
        == 204
    )
    final = api.get(f"/inventory/reservations/{body['id']}").json()
    assert final["status"] == "CONVERTED"
    assert atp(api) == 4


def test_unreserving_every_item_makes_the_reservation_unreserved(api, shelf):
    body = create(api, "all-back", products=["tee", "tee"]).json()
    api.patch(
        f"/inventory/reservations/{body['id']}/items",
        json=[{"id": item["id"], "status": "UNRESERVED"} for item in body["items"]],
    ).raise_for_status()
    assert api.get(f"/inventory/reservations/{body['id']}").json()["status"] == "UNRESERVED"
    assert atp(api) == 5


def test_a_failed_item_update_changes_nothing(api, shelf):
    body = create(api, "atomic", products=["tee", "tee"]).json()
    first, second = (item["id"] for item in body["items"])
    api.patch(
        f"/inventory/reservations/{body['id']}/items", json=[{"id": second, "status": "UNRESERVED"}]
    )
    mixed = api.patch(
        f"/inventory/reservations/{body['id']}/items",
        json=[{"id": first, "status": "CONVERTED"}, {"id": second, "status": "CONVERTED"}],
    )
    assert mixed.status_code == 409
    items = api.get(f"/inventory/reservations/{body['id']}").json()["items"]
    assert [item["status"] for item in items] == ["RESERVED", "UNRESERVED"]
    assert atp(api) == 4


def test_expired_reservations_stop_holding_stock(api, shelf):
    create(api, "short", products=["tee"], expires_in_min=0)
    assert atp(api) == 5
    listed = api.get("/inventory/reservations", params={"expired": "true"}).json()
    assert listed["pagination_info"]["total"] == 1
    assert listed["items"][0]["status"] == "RESERVED"


def test_the_configured_default_expiry_applies(api, shelf):
    assert api.get("/inventory/config/reservations").json() == {
        "expires_in_min": 1440,
        "send_accepted_emails": False,
        "send_rejected_emails": False,
    }
    assert (
        api.patch("/inventory/config/reservations", json={"expires_in_min": 90}).status_code == 204
    )
    body = create(api, "configured").json()
    assert moment(body["expires_at"]) - moment(body["created_at"]) == timedelta(minutes=90)
    assert (
        api.patch("/inventory/config/reservations", json={"expires_in_min": 0}).status_code == 400
    )
    assert api.get("/inventory/config/reservations").json()["expires_in_min"] == 90


def test_listing_filters_sorts_and_pages(api, shelf):
    a = create(api, "a", products=["tee"]).json()
    b = create(api, "b", products=["tee", "tee"], location="US01").json()
    c = create(api, "c", products=["tee"], location="US02", status="PENDING").json()

    everything = api.get("/inventory/reservations", params={"sort": "created_at|asc"}).json()
    assert [item["id"] for item in everything["items"]] == [a["id"], b["id"], c["id"]]
    assert everything["pagination_info"] == {
        "count": 3,
        "offset": 0,
        "total": 3,
        "reserved_item_count": 3,
    }
    assert everything["items"][1]["reserved_item_count"] == 2

    page = api.get(
        "/inventory/reservations", params={"count": 1, "offset": 1, "sort": "created_at|asc"}
    ).json()
    assert [item["id"] for item in page["items"]] == [b["id"]]
    pending = api.get("/inventory/reservations", params={"status": "PENDING"}).json()
    assert [item["id"] for item in pending["items"]] == [c["id"]]
    at_us01 = api.get("/inventory/reservations", params={"location_id": "US01"}).json()
    assert at_us01["pagination_info"]["total"] == 2
    by_display = api.get("/inventory/reservations", params={"external_id": a["external_id"]}).json()
    assert [item["id"] for item in by_display["items"]] == [a["id"]]
    assert api.get("/inventory/reservations", params={"status": "LOST"}).status_code == 400
    assert api.get("/inventory/reservations", params={"count": 101}).status_code == 400


def test_stock_insights_list_the_active_reservations(api, shelf):
    held = create(api, "insight", products=["tee", "tee"]).json()
    insights = api.get(
        "/v0/stock/insights", params={"product_id": "tee", "fulfillment_node_id": "US01"}
    ).json()
    assert insights["product_id"] == "tee"
    assert insights["fulfillment_node_id"] == "US01"
    assert insights["allocations"] == []
    assert insights["future_allocations"] == []
    assert [r["item_uuid"] for r in insights["reservations"]] == [i["id"] for i in held["items"]]
    assert {r["order_uuid"] for r in insights["reservations"]} == {held["id"]}
    assert (insights["on_hand"], insights["atp"]) == (5, 3)
    missing = api.get("/v0/stock/insights", params={"product_id": "tee"})
    assert missing.status_code == 400
    assert "fulfillment_node_id" in missing.json()["message"]


def test_racing_reservations_never_take_more_units_than_there_are(platform, tenant, api, tmp_path):
    stock(api, tmp_path, [("US01", "last", 3)])
    barrier = threading.Barrier(8)

    def attempt(number):
        with platform.client(tenant) as client:
            barrier.wait()
            return create(client, f"race-{number}", products=["last"]).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(attempt, range(8)))

    assert sorted(statuses) == [201] * 3 + [409] * 5
    assert atp(api, "last") == 0


def test_another_tenants_reservation_is_not_found(api, platform, shelf):
    body = create(api, "mine").json()
    with platform.client(platform.create_tenant()) as other:
        assert other.get(f"/inventory/reservations/{body['id']}").status_code == 404
        assert (
            other.patch(
                f"/inventory/reservations/{body['id']}", json={"status": "RESERVED"}
            ).status_code
            == 404
        )
