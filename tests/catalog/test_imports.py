"""The Import Data API: jobs, products with prices, availabilities that create locations."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cashwrap.settings import Settings
from tests.catalog.zips import run_import, wait_for_job, write_zip, zip_bytes
from tests.conftest import platform_of_its_own
from tests.support.servers import ServerThread

TEE = {
    "product_id": "1000061",
    "title": "Organic cotton tee",
    "brand": "Dodici",
    "prices": [
        {"pricebook": "default", "currency": "USD", "value": 19.99},
        {"pricebook": "default", "currency": "EUR", "value": "17.5"},
        {"pricebook": "outlet", "currency": "JPY", "value": 2100},
    ],
}


def test_product_import_stores_products_and_prices_in_minor_units(api, tmp_path):
    path = write_zip(
        tmp_path / "catalog.zip",
        {
            "products.jsonl": [
                TEE,
                {"product_id": "10000211", "title": "Linen shirt", "locale": "de-DE"},
            ]
        },
    )
    job = run_import(api, path, ["products"])

    assert job["status"] == "finished"
    assert job["counts"] == {
        "processed": 2,
        "imported": 2,
        "failed": 0,
        "locations_created": 0,
        "products_removed": 0,
    }
    assert job["errors"] == []
    assert job["progress"]["bytes_done"] == job["progress"]["bytes_total"] > 0
    product = api.get("/v0/catalog/products/1000061").json()
    assert product["content"] == [
        {
            "shop": "storefront-catalog-en",
            "locale": "en-US",
            "title": "Organic cotton tee",
            "brand": "Dodici",
            "description": None,
        }
    ]
    prices = {(p["pricebook"], p["currency"]): p["amount_minor"] for p in product["prices"]}
    assert prices == {("default", "EUR"): 1750, ("default", "USD"): 1999, ("outlet", "JPY"): 2100}
    assert api.get("/v0/catalog/products/10000211").json()["content"][0]["locale"] == "de-DE"


def test_bad_records_are_reported_with_their_line_and_the_others_are_imported(api, tmp_path):
    path = write_zip(
        tmp_path / "mixed.zip",
        {
            "products.jsonl": [
                {"product_id": "ok-1", "title": "Fine"},
                "{not json",
                {"product_id": "no-title"},
                "",
                {
                    "product_id": "cents",
                    "title": "x",
                    "prices": [{"currency": "USD", "value": 1.005}],
                },
                {"product_id": "zzz", "title": "x", "prices": [{"currency": "XYZ", "value": 1}]},
                {"product_id": "ok-2", "title": "Also fine"},
            ]
        },
    )
    job = run_import(api, path, ["products"])

    assert job["status"] == "finished"
    assert job["counts"]["imported"] == 2
    assert job["counts"]["failed"] == 4
    assert job["counts"]["processed"] == 6  # the blank line is not a record
    errors = {error["line"]: error for error in job["errors"]}
    assert sorted(errors) == [2, 3, 5, 6]
    assert errors[2]["error_code"] == "invalid_json"
    assert errors[3]["error_code"] == "invalid_record"
    assert "title" in errors[3]["message"]
    assert errors[5]["error_code"] == "invalid_currency_decimals"
    assert errors[6]["error_code"] == "invalid_currency"
    assert {error["file"] for error in job["errors"]} == {"products.jsonl"}
    assert api.get("/v0/catalog/products/ok-2").status_code == 200
    assert api.get("/v0/catalog/products/no-title").json()["error_code"] == "product_not_found"


def test_a_record_with_text_no_database_stores_is_an_error_of_its_line(api, tmp_path):
    path = write_zip(
        tmp_path / "characters.zip",
        {
            "products.jsonl": [
                {"product_id": "ok-1", "title": "Fine"},
                '{"product_id": "nul-1", "title": "a\\u0000b"}',
                '{"product_id": "half-1", "title": "a\\udc00b"}',
                {"product_id": "ok-2", "title": "Caf\u00e9 \U0001f600"},
            ]
        },
    )
    job = run_import(api, path, ["products"])

    assert job["status"] == "finished", job["failure"]
    assert job["counts"]["imported"] == 2
    assert [(error["line"], error["error_code"]) for error in job["errors"]] == [
        (2, "invalid_characters"),
        (3, "invalid_characters"),
    ]
    assert (
        api.get("/v0/catalog/products/ok-2").json()["content"][0]["title"] == "Caf\u00e9 \U0001f600"
    )
    assert api.get("/v0/catalog/products/nul-1").status_code == 404


def test_first_availability_import_creates_the_fulfillment_locations(api, tmp_path):
    assert api.get("/v0/fulfillment_locations").json() == {"items": []}
    dummy = write_zip(
        tmp_path / "dummy.zip",
        {
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "dummy", "quantity": 0},
                {"fulfillment_node_id": "DC01", "product_id": "dummy", "quantity": 0},
            ]
        },
    )
    first = run_import(api, dummy, ["availabilities"])
    assert first["status"] == "finished"
    assert first["counts"]["locations_created"] == 2

    locations = api.get("/v0/fulfillment_locations").json()["items"]
    assert [location["fulfillment_node_id"] for location in locations] == ["DC01", "US01"]
    assert all(location["created_by_import"] == first["id"] for location in locations)
    assert all(location["type"] == "warehouse" for location in locations)

    again = run_import(api, dummy, ["availabilities"])
    assert again["counts"]["locations_created"] == 0
    assert len(api.get("/v0/fulfillment_locations").json()["items"]) == 2


def test_availabilities_set_absolute_on_hand_stock(api, tmp_path):
    def levels(quantity: int) -> dict[str, list[dict[str, object]]]:
        return {
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "1000061", "quantity": quantity}
            ]
        }

    run_import(api, write_zip(tmp_path / "a.zip", levels(7)), ["availabilities"])
    run_import(api, write_zip(tmp_path / "b.zip", levels(3)), ["availabilities"])
    insights = api.get(
        "/v0/stock/insights", params={"product_id": "1000061", "fulfillment_node_id": "US01"}
    ).json()
    assert insights["on_hand"] == 3
    assert insights["atp"] == 3


def test_invalid_availability_records_are_errors_with_their_line(api, tmp_path):
    path = write_zip(
        tmp_path / "stock.zip",
        {
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "p", "quantity": -1},
                {"fulfillment_node_id": "US01", "product_id": "p", "quantity": "5"},
                {"product_id": "p", "quantity": 5},
                {"fulfillment_node_id": "US02", "product_id": "p", "quantity": 5},
            ]
        },
    )
    job = run_import(api, path, ["availabilities"])
    assert [error["line"] for error in job["errors"]] == [1, 2, 3]
    assert job["counts"]["imported"] == 1
    assert [
        row["fulfillment_node_id"] for row in api.get("/v0/fulfillment_locations").json()["items"]
    ] == ["US02"]


def test_store_mapping_makes_a_location_a_store(api, tmp_path):
    path = write_zip(
        tmp_path / "stores.zip",
        {
            "store_mapping.jsonl": [
                {
                    "store_id": "store-paris",
                    "fulfillment_node_id": "FR01",
                    "country_code": "fr",
                    "description": "Dodici Paris Store",
                    "timezone": "Europe/Paris",
                },
                {
                    "store_id": "store-bad",
                    "fulfillment_node_id": "XX01",
                    "country_code": "FR",
                    "timezone": "Mars/Olympus",
                },
            ],
            "availabilities.jsonl": [
                {"fulfillment_node_id": "FR01", "product_id": "1000061", "quantity": 4},
                {"fulfillment_node_id": "DC01", "product_id": "1000061", "quantity": 40},
            ],
        },
    )
    job = run_import(api, path, ["availabilities"])
    assert job["status"] == "finished"
    assert job["counts"]["locations_created"] == 2
    assert [(e["file"], e["line"]) for e in job["errors"]] == [("store_mapping.jsonl", 2)]

    stores = api.get("/stores", params={"limit": 10}).json()
    assert stores["items"] == [
        {
            "id": "store-paris",
            "tenant": stores["items"][0]["tenant"],
            "country_code": "FR",
            "description": "Dodici Paris Store",
            "multi_cashbox": False,
            "config": {"timezone": "Europe/Paris", "report_types": [], "auto_report_types": []},
            "fulfillment_node_id": "FR01",
        }
    ]
    assert "next_page_key" not in stores
    assert api.get("/stores/store-paris").json()["fulfillment_node_id"] == "FR01"
    assert api.get("/stores/DC01").status_code == 404
    kinds = {
        row["fulfillment_node_id"]: row["type"]
        for row in api.get("/v0/fulfillment_locations").json()["items"]
    }
    assert kinds == {"FR01": "store", "DC01": "warehouse"}


def test_availabilities_cannot_be_imported_as_full(api, tmp_path):
    path = write_zip(
        tmp_path / "full.zip",
        {
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "p", "quantity": 1}
            ]
        },
    )
    job = run_import(api, path, ["availabilities"], full_import=True)
    assert job["status"] == "failed"
    assert job["failure"]["error_code"] == "full_import_not_supported"
    assert api.get("/v0/fulfillment_locations").json() == {"items": []}


def test_full_product_import_removes_what_the_file_does_not_carry(api, tmp_path):
    first = write_zip(
        tmp_path / "first.zip",
        {
            "products.jsonl": [
                {
                    "product_id": "keep",
                    "title": "Keep",
                    "prices": [{"currency": "USD", "value": 1}],
                },
                {
                    "product_id": "drop",
                    "title": "Drop",
                    "prices": [{"currency": "USD", "value": 2}],
                },
                {"product_id": "other-shop", "title": "Other", "shop": "outlet"},
            ]
        },
    )
    run_import(api, first, ["products"])
    second = write_zip(
        tmp_path / "second.zip",
        {
            "products.jsonl": [
                {
                    "product_id": "keep",
                    "title": "Keep v2",
                    "prices": [{"currency": "USD", "value": 3}],
                }
            ]
        },
    )
    job = run_import(api, second, ["products"], full_import=True)

    assert job["status"] == "finished"
    assert job["counts"]["products_removed"] == 1
    assert api.get("/v0/catalog/products/drop").status_code == 404
    kept = api.get("/v0/catalog/products/keep").json()
    assert kept["content"][0]["title"] == "Keep v2"
    assert kept["prices"] == [
        {"pricebook": "default", "currency": "USD", "value": 3.0, "amount_minor": 300}
    ]
    # Another shop is not part of this full import.
    assert api.get("/v0/catalog/products/other-shop").status_code == 200


@pytest.mark.parametrize(
    ("members", "error_code"),
    [
        ({"readme.txt": ["hello"]}, "entity_file_missing"),
        (
            {
                "availabilities.jsonl": [
                    {"fulfillment_node_id": "US01", "product_id": "p", "quantity": 1}
                ]
            },
            "entity_file_missing",
        ),
    ],
)
def test_a_zip_without_the_entity_file_fails_the_job_and_changes_nothing(
    api, tmp_path, members, error_code
):
    job = run_import(api, write_zip(tmp_path / "x.zip", members), ["products"])
    assert job["status"] == "failed"
    assert job["failure"]["error_code"] == error_code
    assert job["counts"]["processed"] == 0
    assert api.get("/v0/fulfillment_locations").json() == {"items": []}


def test_a_source_that_is_not_a_zip_or_is_missing_fails_the_job(api, tmp_path):
    text = tmp_path / "products.jsonl"
    text.write_text('{"product_id": "p", "title": "t"}\n')
    assert run_import(api, text, ["products"])["failure"]["error_code"] == "invalid_zip"
    missing = run_import(api, tmp_path / "nope.zip", ["products"])
    assert missing["failure"]["error_code"] == "source_not_found"


def test_import_from_an_http_url_and_transformed_uri_in_the_start_body(api, tmp_path):
    payload = zip_bytes({"products.jsonl": [{"product_id": "from-http", "title": "Downloaded"}]})

    async def serve(request: Request) -> Response:
        if request.path_params["name"] == "catalog.zip":
            return Response(payload, media_type="application/zip")
        return Response("gone", status_code=404)

    files = ServerThread(Starlette(routes=[Route("/{name}", serve)]), name="files").start()
    try:
        created = api.post(
            "/v0/d/import",
            json={
                "provider": "oms",
                "source_uri": f"{files.url}/original.csv",
                "entities": ["products"],
            },
        ).json()
        started = api.post(
            f"/v0/d/import/{created['id']}/start",
            json={"transformed_uri": f"{files.url}/catalog.zip"},
        )
        assert started.json()["transformed_uri"] == f"{files.url}/catalog.zip"
        job = wait_for_job(api, created["id"])
        assert job["status"] == "finished", job
        assert api.get("/v0/catalog/products/from-http").status_code == 200

        broken = run_import(api, f"{files.url}/missing.zip", ["products"])
        assert broken["status"] == "failed"
        assert broken["failure"]["error_code"] == "source_unreadable"
        assert "http_404" in broken["failure"]["message"]
    finally:
        files.stop()


def test_a_job_starts_once(api, tmp_path):
    path = write_zip(tmp_path / "p.zip", {"products.jsonl": [{"product_id": "p", "title": "t"}]})
    created = api.post(
        "/v0/d/import",
        json={"provider": "tests", "source_uri": str(path), "entities": ["products"]},
    ).json()
    assert created["status"] == "received"
    assert api.post(f"/v0/d/import/{created['id']}/start").status_code == 200
    again = api.post(f"/v0/d/import/{created['id']}/start")
    assert again.status_code == 409
    assert again.json()["error_code"] == "import_already_started"
    assert wait_for_job(api, created["id"])["status"] == "finished"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_uri": "file:///x.zip", "entities": ["products"]}, "provider"),
        ({"provider": "p", "source_uri": "file:///x.zip", "entities": ["prices"]}, "entities.0"),
        ({"provider": "p", "source_uri": "file:///x.zip", "entities": []}, "entities"),
        (
            {"provider": "p", "source_uri": "file:///x.zip", "entities": ["products", "products"]},
            "entities",
        ),
        ({"provider": "p", "entities": ["products"]}, "source_uri"),
        ({"provider": "p", "source_uri": "x", "entities": ["products"], "surprise": 1}, "surprise"),
    ],
)
def test_invalid_job_bodies_are_400_naming_the_field(api, body, field):
    response = api.post("/v0/d/import", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert any(error["field"] == field for error in response.json()["errors"])
    assert api.get("/v0/d/import").json() == {"items": []}


def test_unsupported_source_schemes_are_refused(api):
    response = api.post(
        "/v0/d/import",
        json={"provider": "p", "source_uri": "ftp://files/x.zip", "entities": ["products"]},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_source_uri"


def test_more_than_twenty_open_jobs_is_429_until_one_is_set_failed(api):
    body = {"provider": "p", "source_uri": "file:///nowhere.zip", "entities": ["availabilities"]}
    ids = [api.post("/v0/d/import", json=body).json()["id"] for _ in range(20)]
    refused = api.post("/v0/d/import", json=body)
    assert refused.status_code == 429
    assert refused.json()["error_code"] == "too_many_open_imports"
    assert int(refused.headers["retry-after"]) > 0

    failed = api.patch(f"/v0/d/import/{ids[0]}", json={"status": "failed"})
    assert failed.json()["status"] == "failed"
    assert failed.json()["failure"]["error_code"] == "set_failed"
    assert api.post("/v0/d/import", json=body).status_code == 201


def test_ten_open_product_jobs_limit_product_imports_only(api):
    products = {"provider": "p", "source_uri": "file:///x.zip", "entities": ["products"]}
    for _ in range(10):
        assert api.post("/v0/d/import", json=products).status_code == 201
    assert api.post("/v0/d/import", json=products).status_code == 429
    stock = {**products, "entities": ["availabilities"]}
    assert api.post("/v0/d/import", json=stock).status_code == 201


def test_another_tenants_job_is_not_found(api, platform):
    created = api.post(
        "/v0/d/import",
        json={"provider": "p", "source_uri": "file:///x.zip", "entities": ["products"]},
    ).json()
    with platform.client(platform.create_tenant()) as other:
        assert other.get(f"/v0/d/import/{created['id']}").status_code == 404
        assert other.post(f"/v0/d/import/{created['id']}/start").status_code == 404
    assert api.get("/v0/d/import/unknown").json()["error_code"] == "import_not_found"


def test_imports_need_a_token(anonymous):
    assert anonymous.post("/v0/d/import", json={}).status_code == 401


def test_a_platform_left_at_its_defaults_reads_no_local_file(tmp_path):
    """Left at its default, the platform refuses file:// URIs and paths, in the job and in its
    start, and creates nothing: otherwise any tenant could have it read any file its process
    can (the demo and the tests turn local files on)."""
    default = Settings.model_fields["import_allow_local_files"].default
    path = write_zip(tmp_path / "p.zip", {"products.jsonl": [{"product_id": "p", "title": "t"}]})
    with platform_of_its_own(tmp_path, "no-local-files", import_allow_local_files=default) as own:
        tenant = own.create_tenant()
        with own.client(tenant) as api:
            for source in (path.as_uri(), str(path), "/etc/passwd"):
                refused = api.post(
                    "/v0/d/import",
                    json={"provider": "tests", "source_uri": source, "entities": ["products"]},
                )
                assert refused.status_code == 400, refused.text
                assert refused.json()["error_code"] == "local_files_disabled"
                assert "CASHWRAP_IMPORT_ALLOW_LOCAL_FILES" in refused.json()["message"]
            assert api.get("/v0/d/import").json()["items"] == []

            created = api.post(
                "/v0/d/import",
                json={
                    "provider": "tests",
                    "source_uri": "https://files.example.com/p.zip",
                    "entities": ["products"],
                },
            )
            assert created.status_code == 201, created.text
            started = api.post(
                f"/v0/d/import/{created.json()['id']}/start",
                json={"transformed_uri": path.as_uri()},
            )
            assert started.status_code == 400, started.text
            assert started.json()["error_code"] == "local_files_disabled"
            assert api.get(f"/v0/d/import/{created.json()['id']}").json()["status"] == "received"
