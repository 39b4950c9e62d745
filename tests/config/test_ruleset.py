"""The routing ruleset (``/v0/routing/ruleset``): ETag, If-Match, JSON Patch, sections,
``countries[]`` with ``Content-Type: application/json; version=1``."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.config.support import (
    assert_problem,
    assert_rejected_unchanged,
    example,
    seed_fulfillment,
)

PATH = "/v0/routing/ruleset"
VERSION_1 = {"Content-Type": "application/json; version=1"}


def ruleset() -> dict[str, Any]:
    document: dict[str, Any] = example("routing-ruleset.get.response.json")
    return document


def countries_ruleset() -> dict[str, Any]:
    document = ruleset()
    document["routes"] = [
        {
            "destination_region": {"countries": ["US", "PR"], "zip_code_region": "WEST"},
            "fulfilled_by": {"2_DAY": ["2_DAY::WEST"], "GROUND": ["GROUND::WEST"]},
        }
    ]
    return document


def test_no_ruleset_is_404(api):
    assert_problem(api.get(PATH), 404, "not_found")


def test_the_reference_ruleset_round_trips_with_an_etag(api):
    put = api.put(PATH, json=ruleset())
    assert put.status_code == 201, put.text
    assert put.json()["routing_ruleset"] == ruleset()
    assert put.json()["fulfillment_config_uri"].startswith("v0/fulfillment_configuration/revision/")
    read = api.get(PATH)
    assert read.status_code == 200
    assert read.json() == ruleset()
    assert read.headers["etag"] == put.headers["etag"]
    assert read.headers["x-fulfillment-config-version"] == "2"


def test_sections_are_readable(api):
    api.put(PATH, json=ruleset())
    for section in ("routes", "sl_levels_priority", "location_groups", "zip_code_regions"):
        response = api.get(f"{PATH}/{section}")
        assert response.status_code == 200
        assert response.json() == {section: ruleset()[section]}
        assert response.headers["etag"]
    assert_problem(api.get(f"{PATH}/preferred_things"), 400, "invalid_request")


def test_sections_of_a_version_1_configuration_are_409(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    assert_problem(api.get(f"{PATH}/routes"), 409, "fulfillment_config_version_mismatch")


def test_a_version_1_configuration_reads_as_a_ruleset(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    read = api.get(PATH)
    assert read.status_code == 200
    assert read.headers["x-fulfillment-config-version"] == "1"
    body = read.json()
    assert body["sl_levels_priority"] == ["Priority"]
    assert body["routes"] == [
        {
            "destination_region": {"country": "US", "zip_code_region": "All"},
            "fulfilled_by": {"Priority": ["Priority::ROUTE_0"]},
        }
    ]
    assert body["location_groups"] == {"Priority::ROUTE_0": ["9801"]}
    assert body["zip_code_regions"] == {"All": ["*"]}


def test_countries_need_content_type_version_1(api):
    assert_rejected_unchanged(
        api, PATH, lambda: api.put(PATH, json=countries_ruleset()), 400, "invalid_request"
    )
    put = api.put(PATH, json=countries_ruleset(), headers=VERSION_1)
    assert put.status_code == 201, put.text
    assert api.get(PATH).json() == countries_ruleset()
    assert_rejected_unchanged(
        api, PATH, lambda: api.put(PATH, json=ruleset(), headers=VERSION_1), 400, "invalid_request"
    )


def test_accept_version_1_shows_countries(api):
    api.put(PATH, json=ruleset())
    read = api.get(PATH, headers={"Accept": "application/json; version=1"})
    assert read.json()["routes"][0]["destination_region"] == {
        "countries": ["US"],
        "zip_code_region": "WEST",
    }


def test_json_patch_changes_a_location_group(api):
    put = api.put(PATH, json=ruleset())
    patch = [{"op": "add", "path": "/location_groups/2_DAY::WEST/-", "value": "US10"}]
    patched = api.patch(
        PATH,
        json=patch,
        headers={"If-Match": put.headers["etag"], "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["routing_ruleset"]["location_groups"]["2_DAY::WEST"][-1] == "US10"
    assert api.get(PATH).json()["location_groups"]["2_DAY::WEST"] == [
        "DC01",
        "US15",
        "US16",
        "US10",
    ]
    assert patched.headers["etag"] != put.headers["etag"]


def test_a_stale_if_match_is_412_and_changes_nothing(api):
    first = api.put(PATH, json=ruleset())
    api.patch(
        PATH, json=[{"op": "add", "path": "/location_groups/GROUND::WEST/-", "value": "US04"}]
    )
    patch = [{"op": "add", "path": "/location_groups/2_DAY::WEST/-", "value": "US10"}]
    for send in (
        lambda: api.patch(PATH, json=patch, headers={"If-Match": first.headers["etag"]}),
        lambda: api.put(PATH, json=ruleset(), headers={"If-Match": first.headers["etag"]}),
    ):
        assert_rejected_unchanged(api, PATH, send, 412, "etag_mismatch")


def test_if_match_is_ignored_for_the_initial_seeding(api):
    assert api.put(PATH, json=ruleset(), headers={"If-Match": '"42"'}).status_code == 201


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ([{"op": "remove", "path": "/location_groups/NOPE"}], 400, "invalid_json_patch"),
        ([{"op": "jump", "path": "/routes"}], 400, "invalid_json_patch"),
        (
            [{"op": "test", "path": "/sl_levels_priority/0", "value": "2_DAY"}],
            409,
            "json_patch_test_failed",
        ),
        (
            [{"op": "remove", "path": "/location_groups/GROUND::WEST"}],
            400,
            "unknown_location_group",
        ),
        (
            [{"op": "replace", "path": "/sl_levels_priority", "value": ["GROUND"]}],
            400,
            "service_level_missing_from_priority",
        ),
        (
            [{"op": "remove", "path": "/routes/0/fulfilled_by/GROUND"}],
            400,
            "service_level_missing_from_route",
        ),
        (
            [
                {
                    "op": "replace",
                    "path": "/routes/0/destination_region/zip_code_region",
                    "value": "EAST",
                }
            ],
            400,
            "unknown_zip_code_region",
        ),
        (
            [{"op": "add", "path": "/preferred_locations/GROUND::WEST/-", "value": "DC99"}],
            400,
            "invalid_preferred_location",
        ),
        (
            [{"op": "add", "path": "/routes/0/destination_region/countries", "value": ["US"]}],
            400,
            "invalid_request",
        ),
        ([{"op": "replace", "path": "/sl_levels_priority", "value": []}], 400, "invalid_request"),
    ],
)
def test_a_bad_patch_is_refused_and_changes_nothing(api, patch, status, code):
    api.put(PATH, json=ruleset())
    assert_rejected_unchanged(api, PATH, lambda: api.patch(PATH, json=patch), status, code)


def test_patching_without_a_ruleset_is_404(api):
    assert_problem(api.patch(PATH, json=[]), 404, "not_found")


def test_a_patch_body_must_be_an_array(api):
    api.put(PATH, json=ruleset())
    assert_rejected_unchanged(
        api, PATH, lambda: api.patch(PATH, json={"op": "add"}), 400, "invalid_request"
    )


def test_a_wildcard_route_must_come_after_specific_ones(api):
    document = ruleset()
    document["zip_code_regions"]["BAY"] = ["94*"]
    document["routes"].append(
        {
            "destination_region": {"country": "US", "zip_code_region": "BAY"},
            "fulfilled_by": {"2_DAY": ["2_DAY::WEST"], "GROUND": ["GROUND::WEST"]},
        }
    )
    problem = assert_problem(api.put(PATH, json=document), 400, "unreachable_route")
    assert "routes[1] (US; BAY)" in problem["message"]
    document["routes"].reverse()
    assert api.put(PATH, json=document).status_code == 201


def test_the_ruleset_must_cover_the_defined_service_levels(api):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    problem = assert_rejected_unchanged(
        api,
        "/v0/config/fulfillment",
        lambda: api.put(PATH, json=ruleset()),
        400,
        "unknown_service_level",
    )
    assert "'2_DAY'" in problem["message"] or "'GROUND'" in problem["message"]


def test_a_patch_must_use_the_stored_form(api):
    api.put(PATH, json=ruleset())
    patch = [{"op": "add", "path": "/location_groups/2_DAY::WEST/-", "value": "US10"}]
    assert_rejected_unchanged(
        api,
        PATH,
        partial(api.patch, PATH, json=patch, headers=VERSION_1),
        400,
        "ruleset_payload_version_mismatch",
    )
    api.put(PATH, json=countries_ruleset(), headers=VERSION_1)
    assert_rejected_unchanged(
        api, PATH, partial(api.patch, PATH, json=patch), 400, "ruleset_payload_version_mismatch"
    )
    assert api.patch(PATH, json=patch, headers=VERSION_1).status_code == 200
