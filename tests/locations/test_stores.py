"""Stores (``/stores``) and fulfillment locations, as availability imports create them."""

from __future__ import annotations

import pytest

from tests.catalog.zips import run_import, stock, write_zip

STORES = [
    {
        "store_id": "store-nyc",
        "fulfillment_node_id": "US01",
        "country_code": "US",
        "timezone": "America/New_York",
    },
    {"store_id": "store-lyon", "fulfillment_node_id": "FR02", "country_code": "FR"},
    {
        "store_id": "store-paris",
        "fulfillment_node_id": "FR01",
        "country_code": "FR",
        "description": "Paris",
    },
]


@pytest.fixture
def stores(api, tmp_path):
    stock(
        api,
        tmp_path,
        [("US01", "p", 1), ("FR01", "p", 1), ("FR02", "p", 1), ("DC01", "p", 1)],
        stores=STORES,
    )


def test_stores_are_paged_by_store_id(api, stores):
    first = api.get("/stores", params={"limit": 2}).json()
    assert [store["id"] for store in first["items"]] == ["store-lyon", "store-nyc"]
    second = api.get("/stores", params={"limit": 2, "start_at": first["next_page_key"]}).json()
    assert [store["id"] for store in second["items"]] == ["store-paris"]
    assert "next_page_key" not in second


def test_stores_filter_by_country_and_show_cashboxes_on_request(api, stores):
    french = api.get(
        "/stores", params={"limit": 10, "country_codes": ["FR"], "include_cashboxes": "true"}
    ).json()
    assert [store["id"] for store in french["items"]] == ["store-lyon", "store-paris"]
    assert all(store["cashboxes"] == [] for store in french["items"])
    assert api.get("/stores", params={"limit": 10, "country_codes": ["DE"]}).json()["items"] == []


def test_a_store_can_be_updated(api, stores):
    updated = api.patch(
        "/stores/store-lyon",
        json={
            "country_code": "fr",
            "description": "Lyon Part-Dieu",
            "config": {"timezone": "Europe/Paris"},
        },
    )
    assert updated.status_code == 200
    body = api.get("/stores/store-lyon").json()
    assert body["description"] == "Lyon Part-Dieu"
    assert body["config"]["timezone"] == "Europe/Paris"
    assert body["country_code"] == "FR"
    assert api.patch("/stores/store-lyon", json={"description": "no country"}).status_code == 400
    assert (
        api.patch("/stores/nowhere", json={"country_code": "FR"}).json()["error_code"]
        == "store_not_found"
    )


@pytest.mark.parametrize("timezone", ["Europe/" + "x" * 58, "Mars/Olympus_Mons", ""])
def test_a_store_time_zone_must_be_an_iana_name_as_the_import_requires(api, stores, timezone):
    refused = api.patch(
        "/stores/store-nyc", json={"country_code": "US", "config": {"timezone": timezone}}
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["error_code"] == "invalid_request"
    assert "config.timezone" in refused.json()["message"]
    assert api.get("/stores/store-nyc").json()["config"]["timezone"] == "America/New_York"


def test_locations_without_a_store_mapping_are_warehouses(api, stores):
    location = api.get("/v0/fulfillment_locations/DC01").json()
    assert location["type"] == "warehouse"
    assert location["store_id"] is None
    assert api.get("/v0/fulfillment_locations/US01").json()["store_id"] == "store-nyc"
    missing = api.get("/v0/fulfillment_locations/XX")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "location_not_found"


@pytest.mark.parametrize("params", [{}, {"limit": 0}, {"limit": 101}])
def test_store_listing_needs_a_limit_between_1_and_100(api, params):
    response = api.get("/stores", params=params)
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_request"


def test_a_store_id_held_by_another_location_is_refused(api, tmp_path, stores):
    path = write_zip(
        tmp_path / "clash.zip",
        {
            "store_mapping.jsonl": [
                {"store_id": "store-nyc", "fulfillment_node_id": "US99", "country_code": "US"}
            ],
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US99", "product_id": "p", "quantity": 1}
            ],
        },
    )
    result = run_import(api, path, ["availabilities"])
    assert [error["error_code"] for error in result["errors"]] == ["store_id_taken"]
    assert api.get("/stores/store-nyc").json()["fulfillment_node_id"] == "US01"
