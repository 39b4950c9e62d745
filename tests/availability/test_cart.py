""" "Products not available": the cart evaluation and the seed's four exceptions."""

from __future__ import annotations

import pytest

from tests.availability.conftest import configure_fulfillment, use_external_atp
from tests.catalog.zips import stock
from tests.support.oms_endpoint import closed_port_url

US_PRIORITY = [(["US"], ["*"], {"Priority": ["US01", "US02"]})]


def evaluate(api, lines, *, service_level="Priority", country="US", zip_code="10001"):
    response = api.post(
        "/v0/availability/cart",
        json={
            "lines": [{"product_id": product, "quantity": quantity} for product, quantity in lines],
            "service_level": service_level,
            "destination": {"country": country, "zip_code": zip_code},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def external(api, oms, tmp_path):
    """US01, US02 and DC01 known to the platform; ATP from the OMS; US routed to US01, US02."""
    stock(api, tmp_path, [("US01", "dummy", 0), ("US02", "dummy", 0), ("DC01", "dummy", 0)])
    configure_fulfillment(api, US_PRIORITY)
    use_external_atp(api, oms.webhook_config())
    return oms


def test_a_cart_one_location_holds_ships_as_one_shipment(api, external):
    external.stock.update({("US02", "tee"): 5, ("US02", "cap"): 1, ("US01", "tee"): 5})

    result = evaluate(api, [("tee", 2), ("cap", 1)])

    assert result["available"] is True
    assert result["problems"] == []
    assert result["source"] == "external"
    assert [line["fulfillment_node_id"] for line in result["lines"]] == ["US02", "US02"]
    assert result["shipments"] == [
        {
            "fulfillment_node_id": "US02",
            "items": [
                {"line": 0, "product_id": "tee", "quantity": 2},
                {"line": 1, "product_id": "cap", "quantity": 1},
            ],
        }
    ]
    assert len(external.calls) == 1
    assert external.calls[0].body["fulfillment_locations"] == ["DC01", "US01", "US02"]


def test_lines_no_single_location_holds_together_ship_in_route_order(api, external):
    external.stock.update(
        {("US01", "tee"): 1, ("US02", "cap"): 4, ("US01", "sock"): 1, ("US02", "sock"): 2}
    )

    result = evaluate(api, [("tee", 1), ("cap", 2), ("sock", 3)])

    assert result["available"] is True
    lines = {line["product_id"]: line for line in result["lines"]}
    assert lines["tee"]["fulfillment_node_id"] == "US01"
    assert lines["cap"]["fulfillment_node_id"] == "US02"
    assert lines["sock"]["fulfillment_node_id"] is None
    assert lines["sock"]["allocations"] == [
        {"fulfillment_node_id": "US01", "quantity": 1},
        {"fulfillment_node_id": "US02", "quantity": 2},
    ]
    assert [shipment["fulfillment_node_id"] for shipment in result["shipments"]] == ["US01", "US02"]


def test_quantity_wholly_unavailable(api, external):
    result = evaluate(api, [("tee", 2)])

    assert result["available"] is False
    assert result["problems"] == [
        {
            "line": 0,
            "product_id": "tee",
            "error_code": "quantity_unavailable",
            "requested_quantity": 2,
            "available_quantity": 0,
            "fulfillment_node_ids": ["US01", "US02"],
            "reason": None,
            "message": "tee: no unit is available at US01, US02",
        }
    ]


def test_quantity_partially_unavailable(api, external):
    external.stock[("US01", "tee")] = 1

    problem = evaluate(api, [("tee", 3)])["problems"][0]

    assert problem["error_code"] == "quantity_partially_unavailable"
    assert problem["available_quantity"] == 1
    assert problem["fulfillment_node_ids"] == ["US01"]


def test_part_of_a_split_shipment_unavailable(api, external):
    external.stock.update({("US01", "tee"): 1, ("US02", "cap"): 1})

    result = evaluate(api, [("tee", 1), ("cap", 2)])

    assert result["available"] is False
    assert [(p["product_id"], p["error_code"]) for p in result["problems"]] == [
        ("cap", "split_shipment_part_unavailable")
    ]
    assert result["problems"][0]["available_quantity"] == 1
    assert result["lines"][0]["fulfillment_node_id"] == "US01"


def test_a_location_the_oms_answers_for_is_unknown_to_the_platform(api, oms, tmp_path):
    stock(api, tmp_path, [("US01", "dummy", 0)])
    configure_fulfillment(api, [(["US"], ["*"], {"Priority": ["US01", "US09"]})])
    use_external_atp(api, oms.webhook_config())
    oms.stock[("US09", "tee")] = 5  # US09 is routed to but was never imported
    oms.extra.append(
        {"product_id": "cap", "external_identifier": "cap", "fulfillment_location": "EU7", "atp": 3}
    )

    result = evaluate(api, [("tee", 2), ("cap", 1)])

    assert [
        (p["product_id"], p["error_code"], p["fulfillment_node_ids"]) for p in result["problems"]
    ] == [
        ("tee", "fulfillment_location_unknown", ["US09"]),
        ("cap", "fulfillment_location_unknown", ["EU7"]),
    ]
    assert sorted(oms.calls[0].body["fulfillment_locations"]) == ["US01", "US09"]


def test_a_known_location_missing_from_the_fulfillment_configuration(api, external):
    external.stock[("DC01", "tee")] = 50

    result = evaluate(api, [("tee", 2)])

    problem = result["problems"][0]
    assert problem["error_code"] == "fulfillment_location_not_in_config"
    assert problem["fulfillment_node_ids"] == ["DC01"]
    assert problem["available_quantity"] == 0


def test_a_destination_no_route_covers_reports_the_locations_holding_stock(api, external):
    external.stock[("US01", "tee")] = 5

    problem = evaluate(api, [("tee", 1)], country="CA", zip_code="H2X")["problems"][0]

    assert problem["error_code"] == "fulfillment_location_not_in_config"
    assert problem["fulfillment_node_ids"] == ["US01"]


@pytest.mark.parametrize(("mode", "reason"), [("down", "refused"), ("garbage", "invalid_json")])
def test_when_the_oms_cannot_answer_nothing_is_available_and_the_reason_is_kept(
    api, external, mode, reason
):
    external.stock[("US01", "tee")] = 5
    if mode == "down":
        use_external_atp(api, {**external.webhook_config(), "url": closed_port_url()})
    else:
        external.mode = mode

    result = evaluate(api, [("tee", 1), ("cap", 1)])

    assert result["available"] is False
    assert result["reason"] == reason
    assert {(p["error_code"], p["reason"]) for p in result["problems"]} == {
        ("quantity_unavailable", reason)
    }


def test_stock_fallback_counts_reservations(api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 3), ("US02", "tee", 0)])
    configure_fulfillment(api, US_PRIORITY)
    api.post(
        "/inventory/reservations",
        json={
            "customer_profile_id": "c",
            "location_id": "US01",
            "items": [{"product_id": "tee"}] * 2,
        },
        headers={"Idempotency-Key": "hold"},
    ).raise_for_status()

    short = evaluate(api, [("tee", 2)])
    assert short["source"] == "stock"
    assert short["problems"][0]["error_code"] == "quantity_partially_unavailable"
    assert short["problems"][0]["available_quantity"] == 1

    fits = evaluate(api, [("tee", 1)])
    assert fits["available"] is True
    assert fits["lines"][0]["fulfillment_node_id"] == "US01"


def test_a_cart_needs_a_fulfillment_configuration_and_a_known_service_level(api, tmp_path):
    missing = api.post(
        "/v0/availability/cart",
        json={"lines": [{"product_id": "p", "quantity": 1}], "service_level": "Priority",
              "destination": {"country": "US"}},
    )  # fmt: skip
    assert missing.status_code == 412
    assert missing.json()["error_code"] == "fulfillment_config_missing"

    configure_fulfillment(api, US_PRIORITY)
    unknown = api.post(
        "/v0/availability/cart",
        json={"lines": [{"product_id": "p", "quantity": 1}], "service_level": "Teleport",
              "destination": {"country": "US"}},
    )  # fmt: skip
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "unknown_service_level"


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [], "service_level": "Priority", "destination": {"country": "US"}},
        {
            "lines": [{"product_id": "p", "quantity": 0}],
            "service_level": "P",
            "destination": {"country": "US"},
        },
        {
            "lines": [{"product_id": "p", "quantity": 1}],
            "service_level": "P",
            "destination": {"country": "USA"},
        },
        {"lines": [{"product_id": "p", "quantity": 1}], "service_level": "P"},
    ],
)
def test_invalid_carts_are_400(api, body):
    response = api.post("/v0/availability/cart", json=body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_request"
