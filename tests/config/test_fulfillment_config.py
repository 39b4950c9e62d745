"""The seed's fulfillment configuration document (``/v0/config/fulfillment``) and its rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.config.support import assert_problem, assert_rejected_unchanged, seed_fulfillment

PATH = "/v0/config/fulfillment"


def two_levels() -> dict[str, Any]:
    """The seed's configuration with a second service level, route and provider rate."""
    document = seed_fulfillment()
    config = document["fulfillment_config"]
    config["service_levels"]["Express"] = {
        "currency_code": "USD",
        "delivery_time": "1 business day",
        "delivery_time_after_cutoff_hour": "",
        "display_name": "Express",
        "price": 12.5,
        "remorse_period": 0,
        "tax_code": "",
    }
    config["provider_rates"]["Express"] = {
        "return_provider_rate": "",
        "service_level": "Express",
        "shipping_carrier_name": "UPS",
        "shipping_type": "traditional_carrier",
        "use_as_customer_facing_cost": False,
    }
    config["sl_levels_priority"] = ["Priority", "Express"]
    config["routes"] = [
        {
            "destination_region": {"countries": ["US"], "zip_codes": ["100*", "10200"]},
            "fulfilled_by": {
                "Priority": [{"fulfillment_node_id": "NY01", "provider_rate": "Priority"}],
                "Express": [{"fulfillment_node_id": "NY01", "provider_rate": "Express"}],
            },
        },
        {
            "destination_region": {"countries": ["US", "CA"], "zip_codes": ["*"]},
            "fulfilled_by": {
                "Priority": [{"fulfillment_node_id": "9801", "provider_rate": "Priority"}],
                "Express": [
                    {"fulfillment_node_id": "9801", "provider_rate": "Express"},
                    {"fulfillment_node_id": "DC02", "provider_rate": "Express"},
                ],
            },
        },
    ]
    return document


def test_no_configuration_is_404(api):
    assert_problem(api.get(PATH), 404, "not_found")


def test_the_seed_document_round_trips_exactly(api):
    document = seed_fulfillment()
    put = api.put(PATH, json=document)
    assert put.status_code == 200, put.text
    assert put.json() == document
    read = api.get(PATH)
    assert read.status_code == 200
    assert read.json() == document
    assert read.headers["etag"] == put.headers["etag"]
    assert read.headers["x-fulfillment-config-version"] == "1"


def test_a_richer_document_round_trips(api):
    document = two_levels()
    assert api.put(PATH, json=document).status_code == 200
    assert api.get(PATH).json() == document


def test_if_match_guards_the_document(api):
    first = api.put(PATH, json=seed_fulfillment())
    assert_rejected_unchanged(
        api,
        PATH,
        lambda: api.put(PATH, json=two_levels(), headers={"If-Match": '"999"'}),
        412,
        "etag_mismatch",
    )
    ok = api.put(PATH, json=two_levels(), headers={"If-Match": first.headers["etag"]})
    assert ok.status_code == 200


def _without_level_in_route(document: dict[str, Any]) -> None:
    del document["fulfillment_config"]["routes"][1]["fulfilled_by"]["Express"]


def _without_level_in_priority(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["sl_levels_priority"] = ["Priority"]


def _unknown_rate(document: dict[str, Any]) -> None:
    node = document["fulfillment_config"]["routes"][1]["fulfilled_by"]["Express"][1]
    node["provider_rate"] = "Overnight"


def _rate_of_other_level(document: dict[str, Any]) -> None:
    node = document["fulfillment_config"]["routes"][0]["fulfilled_by"]["Priority"][0]
    node["provider_rate"] = "Express"


def _too_many_decimals(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["service_levels"]["Express"]["price"] = 12.505


def _yen_with_decimals(document: dict[str, Any]) -> None:
    level = document["fulfillment_config"]["service_levels"]["Express"]
    level["currency_code"] = "JPY"
    level["price"] = 1200.5


def _unknown_currency(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["service_levels"]["Express"]["currency_code"] = "XXY"


def _undefined_level_in_route(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["routes"][0]["fulfilled_by"]["Overnight"] = []


def _undefined_level_in_priority(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["sl_levels_priority"].append("Overnight")


def _wildcard_first(document: dict[str, Any]) -> None:
    routes = document["fulfillment_config"]["routes"]
    routes.reverse()


def _rate_for_unknown_level(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["provider_rates"]["Express"]["service_level"] = "Overnight"


def _unknown_return_rate(document: dict[str, Any]) -> None:
    document["fulfillment_config"]["provider_rates"]["Express"]["return_provider_rate"] = "Back"


RULES = [
    (
        _without_level_in_route,
        "service_level_missing_from_route",
        ["routes[1] (US, CA; *)", "'Express'"],
    ),
    (
        _without_level_in_priority,
        "service_level_missing_from_priority",
        ["sl_levels_priority", "'Express'"],
    ),
    (_unknown_rate, "unknown_provider_rate", ["routes[1] (US, CA; *)", "'Overnight'", "DC02"]),
    (_rate_of_other_level, "provider_rate_service_level_mismatch", ["routes[0] (US; 100*, 10200)"]),
    (_too_many_decimals, "invalid_currency_decimals", ["service_levels.Express.price"]),
    (_yen_with_decimals, "invalid_currency_decimals", ["service_levels.Express.price", "JPY"]),
    (_unknown_currency, "invalid_currency", ["service_levels.Express.currency_code"]),
    (_undefined_level_in_route, "unknown_service_level", ["routes[0]", "'Overnight'"]),
    (_undefined_level_in_priority, "unknown_service_level", ["sl_levels_priority", "'Overnight'"]),
    (
        _wildcard_first,
        "unreachable_route",
        ["routes[1] (US; 100*, 10200)", "routes[0] (US, CA; *)"],
    ),
    (_rate_for_unknown_level, "unknown_service_level", ["provider_rates.Express", "'Overnight'"]),
    (_unknown_return_rate, "unknown_provider_rate", ["provider_rates.Express", "'Back'"]),
]


@pytest.mark.parametrize(
    ("breaks", "code", "named"), RULES, ids=[rule[1] + "-" + rule[0].__name__ for rule in RULES]
)
def test_each_seed_rule_is_enforced_and_names_the_culprit(api, breaks, code, named):
    api.put(PATH, json=two_levels())
    document = two_levels()
    breaks(document)
    problem = assert_rejected_unchanged(api, PATH, lambda: api.put(PATH, json=document), 400, code)
    for text in named:
        assert text in problem["message"], problem["message"]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("sl_levels_priority",), [], "fulfillment_config.sl_levels_priority"),
        (("routes",), [], "fulfillment_config.routes"),
        (("service_levels",), {}, "fulfillment_config.service_levels"),
        (("routes", 0, "destination_region", "countries"), ["usa"], "countries"),
        (("routes", 0, "destination_region", "zip_codes"), [], "zip_codes"),
        (
            ("routes", 0, "fulfilled_by", "Priority", 0, "fulfillment_node_id"),
            "",
            "fulfillment_node_id",
        ),
        (("provider_rates", "Priority", "shipping_type"), "teleport", "shipping_type"),
        (("service_levels", "Priority", "price"), -1, "price"),
        (("service_levels", "Priority", "price"), "0", "price"),
        (("service_levels", "Priority", "display_name"), "", "display_name"),
        (("service_levels", "Priority", "surprise"), True, "surprise"),
    ],
)
def test_schema_errors_name_the_field_and_change_nothing(api, path, value, field):
    api.put(PATH, json=seed_fulfillment())
    document = seed_fulfillment()
    target: Any = document["fulfillment_config"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    problem = assert_rejected_unchanged(
        api, PATH, lambda: api.put(PATH, json=document), 400, "invalid_request"
    )
    assert field in problem["message"]


def test_the_body_must_be_wrapped_in_fulfillment_config(api):
    bare = seed_fulfillment()["fulfillment_config"]
    assert_rejected_unchanged(api, PATH, lambda: api.put(PATH, json=bare), 400, "invalid_request")


def test_node_lists_may_be_empty_for_an_external_oms(api):
    document = seed_fulfillment()
    document["fulfillment_config"]["routes"][0]["fulfilled_by"]["Priority"] = []
    assert api.put(PATH, json=document).status_code == 200


def test_every_problem_is_listed(api):
    document = two_levels()
    _without_level_in_route(document)
    _without_level_in_priority(document)
    problem = assert_problem(
        api.put(PATH, json=document), 400, "service_level_missing_from_priority"
    )
    assert len(problem["messages"]) == 2
    assert "routes[1]" in problem["messages"][1]
