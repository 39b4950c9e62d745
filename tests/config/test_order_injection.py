"""Order injection configuration (CONTRACT a.6): versioned value, 409 ``conflict_version``."""

from __future__ import annotations

from functools import partial

import pytest

from tests.config.support import assert_problem, assert_rejected_unchanged, example

PATH = "/v1/r/config/order_injection"


def test_an_unconfigured_tenant_reads_the_defaults_at_version_1(api):
    response = api.get(PATH)
    assert response.status_code == 200
    assert response.json() == {
        "value": {"skip_soft_routing_on_injection": False},
        "version": "1",
        "updated_at": None,
        "updated_by": None,
    }
    assert response.headers["etag"] == '"1"'


def test_post_with_version_1_creates_and_get_returns_it(api, tenant):
    body = example("order-injection-config.update.request.json")
    created = api.post(PATH, params={"version": "1"}, json=body)
    assert created.status_code == 200, created.text
    read = api.get(PATH)
    assert read.json() == created.json()
    answer = read.json()
    assert answer["value"] == body
    assert answer["version"] == "2"
    assert answer["updated_by"] == tenant.client_id
    assert answer["updated_at"].endswith("Z")
    assert set(answer) == set(example("order-injection-config.get.response.json"))
    assert read.headers["etag"] == '"2"'


def test_patch_changes_only_the_members_it_sends(api):
    api.post(
        PATH, params={"version": "1"}, json=example("order-injection-config.update.request.json")
    )
    patched = api.patch(
        PATH, params={"version": "2"}, json={"skip_soft_routing_on_injection": False}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["value"] == {
        "big_sales_order": {"hard_limit_for_big_orders": 800},
        "skip_soft_routing_on_injection": False,
    }
    assert patched.json()["version"] == "3"
    removed = api.patch(PATH, params={"version": "3"}, json={"big_sales_order": None})
    assert removed.json()["value"] == {"skip_soft_routing_on_injection": False}


def test_post_replaces_the_whole_value(api):
    api.post(
        PATH, params={"version": "1"}, json=example("order-injection-config.update.request.json")
    )
    replaced = api.post(
        PATH, params={"version": "2"}, json={"skip_soft_routing_on_injection": True}
    )
    assert replaced.json()["value"] == {"skip_soft_routing_on_injection": True}


def test_a_stale_version_is_409_conflict_version_and_changes_nothing(api):
    api.post(PATH, params={"version": "1"}, json={"skip_soft_routing_on_injection": True})
    api.patch(PATH, params={"version": "2"}, json={"skip_soft_routing_on_injection": False})
    for method in ("PATCH", "POST"):
        problem = assert_rejected_unchanged(
            api,
            PATH,
            partial(
                api.request,
                method,
                PATH,
                params={"version": "2"},
                json={"skip_soft_routing_on_injection": True},
            ),
            409,
            "conflict_version",
        )
        reference = example("order-injection-config.409.response.json")
        assert problem["messages"] == reference["messages"]
        assert problem["current_version"] == "3"


def test_version_1_does_not_overwrite_an_existing_configuration(api):
    api.post(PATH, params={"version": "1"}, json={"skip_soft_routing_on_injection": True})
    assert_rejected_unchanged(
        api,
        PATH,
        lambda: api.post(PATH, params={"version": "1"}, json={}),
        409,
        "conflict_version",
    )


def test_if_match_is_honoured_too(api):
    api.post(PATH, params={"version": "1"}, json={"skip_soft_routing_on_injection": True})
    assert_rejected_unchanged(
        api,
        PATH,
        lambda: api.patch(
            PATH,
            params={"version": "2"},
            headers={"If-Match": '"1"'},
            json={"skip_soft_routing_on_injection": False},
        ),
        412,
        "etag_mismatch",
    )
    ok = api.patch(
        PATH,
        params={"version": "2"},
        headers={"If-Match": '"2"'},
        json={"skip_soft_routing_on_injection": False},
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({}, {"skip_soft_routing_on_injection": True}, "version"),
        ({"version": "x"}, {"skip_soft_routing_on_injection": True}, "version"),
        (
            {"version": "2"},
            {"skip_soft_routing_on_injection": "yes"},
            "skip_soft_routing_on_injection",
        ),
        ({"version": "2"}, {"big_sales_order": {}}, "big_sales_order.hard_limit_for_big_orders"),
        (
            {"version": "2"},
            {"big_sales_order": {"hard_limit_for_big_orders": 0}},
            "big_sales_order",
        ),
        (
            {"version": "2"},
            {"big_sales_order": {"hard_limit_for_big_orders": 10.5}},
            "big_sales_order",
        ),
        ({"version": "2"}, {"soft_limit_for_big_orders": 300}, "soft_limit_for_big_orders"),
    ],
)
def test_invalid_input_is_400_and_changes_nothing(api, params, body, field):
    api.post(PATH, params={"version": "1"}, json={"skip_soft_routing_on_injection": True})
    problem = assert_rejected_unchanged(
        api, PATH, lambda: api.patch(PATH, params=params, json=body), 400, "invalid_request"
    )
    assert field in problem["message"]


def test_a_body_that_is_not_json_is_400(api):
    response = api.post(
        PATH,
        params={"version": "1"},
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_json")
