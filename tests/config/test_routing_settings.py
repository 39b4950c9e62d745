"""Routing switches and shipments limits (CONTRACT a.7, routing-config API)."""

from __future__ import annotations

import pytest

from tests.config.support import assert_problem, assert_rejected_unchanged, example

DEFAULTS = {
    "uses_external_atp": False,
    "can_update_ffr_processed_externally": False,
    "cancel_on_conflict": {"default": True},
    "enable_automatic_rerouting": False,
    "enable_capacity_based_routing": False,
    "reroute_to_rejected_fulfillment_nodes": False,
    "skip_shipping_offer_update_for_dc_orders": True,
}


@pytest.mark.parametrize(("name", "default"), DEFAULTS.items())
def test_every_switch_reads_its_documented_default(api, name, default):
    response = api.get(f"/v0/config/routing/{name}")
    assert response.status_code == 200
    assert response.json() == {"value": default, "updated_at": None}


@pytest.mark.parametrize(
    "name",
    [name for name, value in DEFAULTS.items() if value is not None and isinstance(value, bool)],
)
def test_boolean_switches_round_trip(api, name):
    wanted = not DEFAULTS[name]
    response = api.post(f"/v0/config/routing/{name}", json={"value": wanted})
    assert response.status_code == 200, response.text
    assert response.json()["value"] is wanted
    read = api.get(f"/v0/config/routing/{name}")
    assert read.json()["value"] is wanted
    assert read.json()["updated_at"] == response.json()["updated_at"]


def test_uses_external_atp_example(api):
    response = api.post(
        "/v0/config/routing/uses_external_atp",
        json=example("routing-config.uses-external-atp.request.json"),
    )
    assert response.status_code == 200
    reference = example("routing-config.uses-external-atp.response.json")
    assert set(response.json()) == set(reference)
    assert response.json()["value"] is reference["value"]


def test_cancel_on_conflict_takes_its_policy_object(api):
    policy = {"default": False, "reasons_to_overwrite_default": ["insufficient_stock", "error"]}
    response = api.post("/v0/config/routing/cancel_on_conflict", json={"value": policy})
    assert response.status_code == 200, response.text
    assert api.get("/v0/config/routing/cancel_on_conflict").json()["value"] == policy
    defaulted = api.post("/v0/config/routing/cancel_on_conflict", json={"value": {}})
    assert defaulted.json()["value"] == {"default": True}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("uses_external_atp", "true"),
        ("uses_external_atp", 1),
        ("uses_external_atp", None),
        ("cancel_on_conflict", True),
        ("cancel_on_conflict", {"default": "no"}),
        ("cancel_on_conflict", {"reasons_to_overwrite_default": []}),
        ("cancel_on_conflict", {"reasons_to_overwrite_default": ["bad_luck"]}),
        ("cancel_on_conflict", {"default": True, "extra": 1}),
    ],
)
def test_a_value_of_the_wrong_type_is_400_and_changes_nothing(api, name, value):
    path = f"/v0/config/routing/{name}"
    api.post(path, json={"value": DEFAULTS[name]})
    problem = assert_rejected_unchanged(
        api, path, lambda: api.post(path, json={"value": value}), 400, "invalid_request"
    )
    assert problem["message"].startswith("value")


def test_a_missing_value_is_400(api):
    path = "/v0/config/routing/uses_external_atp"
    assert_rejected_unchanged(api, path, lambda: api.post(path, json={}), 400, "invalid_request")


def test_an_unknown_switch_is_404(api):
    assert_problem(api.get("/v0/config/routing/use_magic"), 404, "not_found")
    assert_problem(api.post("/v0/config/routing/use_magic", json={"value": True}), 404, "not_found")


LIMIT = {
    "currency": "USD",
    "service_level": "GROUND",
    "limit_exceeded_when": [
        {"shipment_count_gt": 1, "order_amount_lt": 50},
        {"shipment_count_gt": 2, "order_amount_lt": 100.5},
    ],
}


def test_shipments_limits_are_upserted_per_currency_and_service_level(api):
    assert api.get("/v0/routing/shipments_limit").json() == {"shipments_limit": []}
    assert api.post("/v0/routing/shipments_limit", json=LIMIT).status_code == 204
    other = {**LIMIT, "service_level": "2_DAY"}
    assert api.post("/v0/routing/shipments_limit", json=other).status_code == 204
    changed = {**LIMIT, "limit_exceeded_when": [{"shipment_count_gt": 3, "order_amount_lt": 10}]}
    assert api.post("/v0/routing/shipments_limit", json=changed).status_code == 204
    limits = api.get("/v0/routing/shipments_limit").json()["shipments_limit"]
    assert sorted(limits, key=lambda limit: limit["service_level"]) == [other, changed]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"currency": "XYZ"}, "invalid_currency"),
        ({"currency": "usd"}, "invalid_currency"),
        ({"currency": "JPY"}, "invalid_currency_decimals"),
        ({"service_level": ""}, "invalid_request"),
        ({"limit_exceeded_when": None}, "invalid_request"),
        (
            {"limit_exceeded_when": [{"shipment_count_gt": 1, "order_amount_lt": 5}] * 2},
            "invalid_request",
        ),
        (
            {
                "limit_exceeded_when": [
                    {"shipment_count_gt": 1, "order_amount_lt": 50},
                    {"shipment_count_gt": 2, "order_amount_lt": 10},
                ]
            },
            "invalid_request",
        ),
        (
            {"limit_exceeded_when": [{"shipment_count_gt": -1, "order_amount_lt": 5}]},
            "invalid_request",
        ),
    ],
)
def test_invalid_shipments_limits_are_400_and_change_nothing(api, change, code):
    api.post("/v0/routing/shipments_limit", json=LIMIT)
    body = {**LIMIT, **change}
    assert_rejected_unchanged(
        api,
        "/v0/routing/shipments_limit",
        lambda: api.post("/v0/routing/shipments_limit", json=body),
        400,
        code,
    )
