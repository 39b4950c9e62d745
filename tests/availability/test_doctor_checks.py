"""The doctor's checks on locations, catalog, routes and the ATP webhook."""

from __future__ import annotations

from tests.availability.conftest import configure_fulfillment, use_external_atp
from tests.catalog.zips import products, stock

DOCTOR = "/v0/integration/doctor"
OURS = (
    "fulfillment_locations",
    "catalog_not_empty",
    "route_nodes_are_locations",
    "atp_webhook_probe",
)


def checks(api):
    report = api.get(DOCTOR)
    assert report.status_code == 200, report.text
    return {check["id"]: check for check in report.json()["checks"] if check["id"] in OURS}


def test_an_empty_tenant_fails_on_locations_and_catalog_with_the_fix(api):
    found = checks(api)
    assert found["fulfillment_locations"]["status"] == "fail"
    assert "POST /v0/d/import" in found["fulfillment_locations"]["fix"]
    assert '"entities": ["availabilities"]' in found["fulfillment_locations"]["fix"]
    assert found["catalog_not_empty"]["status"] == "fail"
    assert found["route_nodes_are_locations"]["status"] == "skip"
    assert found["atp_webhook_probe"]["status"] == "skip"


def test_checks_pass_once_the_oms_sent_its_data_and_routes_name_known_nodes(api, tmp_path):
    stock(api, tmp_path, [("US01", "dummy", 0)], stores=[
        {"store_id": "s-1", "fulfillment_node_id": "US01", "country_code": "US"}
    ])  # fmt: skip
    products(api, tmp_path, [{"product_id": "tee", "title": "Tee"}])
    configure_fulfillment(api, [(["US"], ["*"], {"Priority": ["US01", "9801"]})])

    found = checks(api)
    assert found["fulfillment_locations"] == {
        **found["fulfillment_locations"],
        "status": "pass",
        "detail": "1 fulfillment locations (1 of them stores)",
    }
    assert found["catalog_not_empty"]["detail"] == "1 products in the catalog"
    assert found["route_nodes_are_locations"]["status"] == "fail"
    assert "9801" in found["route_nodes_are_locations"]["detail"]
    assert '"fulfillment_node_id": "9801"' in found["route_nodes_are_locations"]["fix"]

    stock(api, tmp_path, [("9801", "dummy", 0)])
    assert checks(api)["route_nodes_are_locations"]["status"] == "pass"


def test_the_atp_probe_passes_fails_or_warns_on_what_the_oms_does(api, oms, tmp_path):
    stock(api, tmp_path, [("US01", "dummy", 0)])
    products(api, tmp_path, [{"product_id": "tee", "title": "Tee"}])
    use_external_atp(api, oms.webhook_config(timeout=5))

    probe = checks(api)["atp_webhook_probe"]
    assert probe["status"] == "pass", probe
    assert oms.calls[-1].body == {
        "products": [{"product_id": "tee", "external_identifier": "tee"}],
        "fulfillment_locations": ["US01"],
    }

    oms.mode = "garbage"
    broken = checks(api)["atp_webhook_probe"]
    assert broken["status"] == "fail"
    assert "invalid_json" in broken["detail"]
    assert '"availabilities"' in broken["fix"]

    oms.mode, oms.delay = "ok", 2.7
    assert checks(api)["atp_webhook_probe"]["status"] == "warn"
