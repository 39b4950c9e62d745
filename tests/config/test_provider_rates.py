"""Provider rates and their priorities, views of the same fulfillment configuration."""

from __future__ import annotations

from functools import partial

import pytest

from tests.config.support import (
    assert_problem,
    assert_rejected_unchanged,
    example,
    seed_fulfillment,
)

RATES = "/fulfillment/provider-rates"
PRIORITIES = "/fulfillment/provider-rate-priorities"

FEDEX = {
    "carrier_defined_service_level": "FEDEX_2_DAY",
    "return_provider_rate_id": "",
    "service_level_id": "Priority",
    "shipping_carrier_name": "FedEx",
    "shipping_type": "traditional_carrier",
    "use_as_customer_facing_cost": True,
}


def test_no_rates_yet(api):
    assert api.get(RATES).json() == {"data": []}
    assert_problem(api.get(f"{RATES}/nope"), 404, "not_found")
    assert api.get(PRIORITIES).json() == {}


def test_the_seed_provider_rate_is_visible_here(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    assert api.get(RATES).json() == {
        "data": [
            {
                "id": "Priority",
                "carrier_defined_service_level": "Priority",
                "return_provider_rate_id": "",
                "service_level_id": "Priority",
                "shipping_carrier_name": "USPS",
                "shipping_type": "traditional_carrier",
                "use_as_customer_facing_cost": False,
            }
        ]
    }


def test_a_provider_rate_round_trips_and_shows_in_the_fulfillment_document(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    put = api.put(f"{RATES}/FedEx2Day", json=FEDEX)
    assert put.status_code == 200, put.text
    assert put.json() == {"id": "FedEx2Day", **FEDEX}
    assert api.get(f"{RATES}/FedEx2Day").json() == {"id": "FedEx2Day", **FEDEX}
    legacy = api.get("/v0/config/fulfillment").json()["fulfillment_config"]["provider_rates"]
    assert legacy["FedEx2Day"] == {
        "return_provider_rate": "",
        "service_level": "Priority",
        "shipping_carrier_name": "FedEx",
        "shipping_type": "traditional_carrier",
        "use_as_customer_facing_cost": True,
        "carrier_defined_service_level": "FEDEX_2_DAY",
    }


def test_an_empty_carrier_service_level_defaults_to_the_id(api):
    body = {**FEDEX, "carrier_defined_service_level": ""}
    assert api.put(f"{RATES}/Ground", json=body).json()["carrier_defined_service_level"] == "Ground"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"service_level_id": "Overnight"}, "unknown_service_level"),
        ({"return_provider_rate_id": "Back"}, "unknown_provider_rate"),
        (
            {"carrier_defined_service_level": "Priority", "shipping_carrier_name": "USPS"},
            "duplicate_carrier_defined_service_level",
        ),
        ({"shipping_type": "drone"}, "invalid_request"),
        ({"use_as_customer_facing_cost": "yes"}, "invalid_request"),
        ({"service_level_id": None}, "invalid_request"),
    ],
)
def test_invalid_rates_are_refused_and_change_nothing(api, change, code):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    body = {key: value for key, value in {**FEDEX, **change}.items() if value is not None}
    assert_rejected_unchanged(
        api, "/v0/config/fulfillment", lambda: api.put(f"{RATES}/FedEx2Day", json=body), 400, code
    )


def test_a_rate_id_with_a_space_is_refused(api):
    assert_rejected_unchanged(
        api,
        RATES,
        partial(api.put, f"{RATES}/two%20words", json=FEDEX),
        400,
        "invalid_provider_rate_id",
    )


def test_a_rate_used_by_a_route_cannot_be_deleted(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    problem = assert_rejected_unchanged(
        api,
        "/v0/config/fulfillment",
        lambda: api.delete(f"{RATES}/Priority"),
        409,
        "provider_rate_in_use",
    )
    assert "routes[0] (US; *)" in problem["message"]


def test_an_unused_rate_is_deleted_and_leaves_its_priority_list(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    api.put(f"{RATES}/FedEx2Day", json=FEDEX)
    assert api.put(PRIORITIES, json={"Priority": ["FedEx2Day", "Priority"]}).status_code == 200
    deleted = api.delete(f"{RATES}/FedEx2Day")
    assert deleted.status_code == 200
    assert_problem(api.get(f"{RATES}/FedEx2Day"), 404, "not_found")
    assert api.get(PRIORITIES).json() == {"Priority": ["Priority"]}
    assert_problem(api.delete(f"{RATES}/FedEx2Day"), 404, "not_found")


def test_priorities_round_trip_and_are_validated(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    api.put(f"{RATES}/FedEx2Day", json=FEDEX)
    put = api.put(PRIORITIES, json={"Priority": ["FedEx2Day", "Priority"]})
    assert put.json() == {"Priority": ["FedEx2Day", "Priority"]}
    assert api.get(PRIORITIES).json() == {"Priority": ["FedEx2Day", "Priority"]}
    legacy = api.get("/v0/config/fulfillment").json()["fulfillment_config"]
    assert legacy["provider_rates_priority"] == {"Priority": ["FedEx2Day", "Priority"]}
    for body, code in [
        ({"Priority": ["Nope"]}, "unknown_provider_rate"),
        ({"Express": ["Priority"]}, "unknown_service_level"),
        ({"Priority": ["Priority", "Priority"]}, "duplicate_provider_rate"),
        ({"Priority": "Priority"}, "invalid_request"),
    ]:
        assert_rejected_unchanged(
            api, PRIORITIES, partial(api.put, PRIORITIES, json=body), 400, code
        )


def test_a_ruleset_keeps_the_service_levels_and_provider_rates(api):
    ruleset = example("routing-ruleset.get.response.json")
    assert api.put("/v0/routing/ruleset", json=ruleset).status_code == 201
    ground = {**FEDEX, "service_level_id": "GROUND", "carrier_defined_service_level": "GROUND_HOME"}
    assert api.put(f"{RATES}/Ground", json=ground).status_code == 200
    legacy = api.get("/v0/config/fulfillment")
    assert legacy.headers["x-fulfillment-config-version"] == "2"
    routes = legacy.json()["fulfillment_config"]["routes"]
    assert routes[0]["destination_region"] == {"countries": ["US"], "zip_codes": ["*"]}
    assert routes[0]["fulfilled_by"]["GROUND"] == [
        {"fulfillment_node_id": "US01", "provider_rate": "Ground"},
        {"fulfillment_node_id": "US02", "provider_rate": "Ground"},
        {"fulfillment_node_id": "US03", "provider_rate": "Ground"},
    ]
    # A new ruleset replaces the routing only.
    assert api.put("/v0/routing/ruleset", json=ruleset).status_code == 201
    assert api.get(f"{RATES}/Ground").status_code == 200
