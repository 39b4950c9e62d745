"""External OMS, sales order, Associate App, payment and store settings."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.config.support import assert_problem, assert_rejected_unchanged, example

EXTERNAL_OMS = "/v0/config/external_oms"
SALES_ORDER = "/v0/config/sales_order"
APP = "/v0/config/associate_app"
PAYMENT = "/v0/config/payment"


def test_external_oms_round_trips_as_the_reference_shows(api):
    assert api.get(EXTERNAL_OMS).json() == {"enabled": False}
    put = api.put(EXTERNAL_OMS, json=example("external-oms-config.update.request.json"))
    assert put.status_code == 200
    assert api.get(EXTERNAL_OMS).json() == example("external-oms-config.get.response.json")
    assert api.put(EXTERNAL_OMS, json={"enabled": False}).json() == {"enabled": False}


@pytest.mark.parametrize(
    "body", [{}, {"enabled": "true"}, {"enabled": 1}, {"enabled": True, "x": 1}, []]
)
def test_external_oms_rejects_anything_but_a_boolean(api, body):
    api.put(EXTERNAL_OMS, json={"enabled": True})
    assert_rejected_unchanged(
        api, EXTERNAL_OMS, lambda: api.put(EXTERNAL_OMS, json=body), 400, "invalid_request"
    )


def test_sales_order_round_trips_with_defaults(api):
    assert api.get(SALES_ORDER).json() == {
        "enabled": False,
        "order_number_prefix": "",
        "grace_period_minutes": 0,
    }
    body = {"enabled": True, "order_number_prefix": "CW-", "grace_period_minutes": 15}
    assert api.put(SALES_ORDER, json=body).json() == body
    assert api.get(SALES_ORDER).json() == body
    assert api.put(SALES_ORDER, json={"enabled": True}).json()["grace_period_minutes"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": "yes"},
        {"enabled": True, "order_number_prefix": "with space"},
        {"enabled": True, "order_number_prefix": "P" * 17},
        {"enabled": True, "grace_period_minutes": -1},
        {"enabled": True, "grace_period_minutes": 1441},
    ],
)
def test_sales_order_rejects_bad_values(api, body):
    api.put(SALES_ORDER, json={"enabled": True})
    assert_rejected_unchanged(
        api, SALES_ORDER, lambda: api.put(SALES_ORDER, json=body), 400, "invalid_request"
    )


DEFAULT_APP = {
    "use_new_om_ui": False,
    "capabilities": {
        "mixed_cart": False,
        "allowed_fulfillment_types": ["IN_STORE_HANDOVER", "SHIPPING"],
        "cash_for_endless_aisle_orders_enabled": False,
    },
    "return_process_configuration": {
        "blind_return_enabled": False,
        "quality_inspection_options": [],
    },
    "release_toggles": {},
    "customizations": {},
}


def test_associate_app_defaults_and_put(api):
    assert api.get(APP).json() == DEFAULT_APP
    put = api.put(APP, json={"use_new_om_ui": True, "capabilities": {"mixed_cart": True}})
    assert put.status_code == 200, put.text
    body = api.get(APP).json()
    assert body["use_new_om_ui"] is True
    assert body["capabilities"]["mixed_cart"] is True
    assert body["capabilities"]["allowed_fulfillment_types"] == ["IN_STORE_HANDOVER", "SHIPPING"]


def test_associate_app_merge_patch(api):
    api.put(APP, json={"customizations": {"hang_tag_printing_enabled": True, "theme": "dark"}})
    patched = api.patch(
        APP,
        json={
            "use_new_om_ui": True,
            "customizations": {"theme": None},
            "return_process_configuration": {
                "quality_inspection_options": [{"code": "A", "option": "As new"}]
            },
        },
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    body = api.get(APP).json()
    assert body["use_new_om_ui"] is True
    assert body["customizations"] == {"hang_tag_printing_enabled": True}
    assert body["return_process_configuration"] == {
        "blind_return_enabled": False,
        "quality_inspection_options": [{"code": "A", "option": "As new"}],
    }
    reset = api.patch(APP, json={"capabilities": None})
    assert reset.json()["capabilities"] == DEFAULT_APP["capabilities"]


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("PUT", {"use_new_om_UI": True}, "use_new_om_UI"),
        ("PUT", {"use_new_om_ui": "true"}, "use_new_om_ui"),
        (
            "PUT",
            {"capabilities": {"allowed_fulfillment_types": []}},
            "capabilities.allowed_fulfillment_types",
        ),
        (
            "PUT",
            {"capabilities": {"allowed_fulfillment_types": ["DRONE"]}},
            "capabilities.allowed_fulfillment_types",
        ),
        (
            "PUT",
            {"capabilities": {"allowed_fulfillment_types": ["SHIPPING", "SHIPPING"]}},
            "capabilities",
        ),
        (
            "PUT",
            {"capabilities": {"mixed_cart": True, "allowed_fulfillment_types": ["SHIPPING"]}},
            "capabilities",
        ),
        ("PATCH", {"capabilities": {"allowed_fulfillment_types": ["SHIPPING"]}}, "capabilities"),
        (
            "PATCH",
            {"return_process_configuration": {"quality_inspection_options": [{"code": "A"}]}},
            "return_process_configuration",
        ),
        ("PATCH", {"capabilities": {"cash_for_endless_aisle_orders_enabled": 1}}, "capabilities"),
    ],
)
def test_associate_app_rejects_bad_documents(api, method, body, field):
    api.put(APP, json={"use_new_om_ui": True, "capabilities": {"mixed_cart": True}})
    problem = assert_rejected_unchanged(
        api, APP, lambda: api.request(method, APP, json=body), 400, "invalid_request"
    )
    assert problem["message"].startswith(field)


def test_payment_round_trip_with_the_provider_key_redacted(api):
    assert api.get(PAYMENT).json() == {
        "use_charge_api": False,
        "refund_options": None,
        "store_mapping": {},
        "provider": None,
    }
    body: dict[str, Any] = {
        "use_charge_api": True,
        "refund_options": ["original", "external", "gift_card"],
        "store_mapping": {"US01": {"refund_options": ["credit_card"]}},
        "provider": {"url": "https://psp.example.com/hooks", "api_key": "p" * 20, "timeout": 10},
    }
    put = api.put(PAYMENT, json=body)
    assert put.status_code == 200, put.text
    expected = {**body, "provider": {**body["provider"], "api_key": "REDACTED"}}
    assert put.json() == expected
    assert api.get(PAYMENT).json() == expected
    again = api.put(PAYMENT, json=expected)
    assert again.status_code == 200
    assert api.get(PAYMENT).json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"use_charge_api": "true"},
        {"refund_options": ["cash"]},
        {"refund_options": []},
        {"refund_options": ["original", "original"]},
        {"store_mapping": {"US01": {"refund_options": ["bitcoin"]}}},
        {"store_mapping": {"US01": {}}},
        {"provider": {"url": "http://psp.example.com"}},
        {"provider": {"url": "https://psp.example.com", "api_key": "short"}},
    ],
)
def test_payment_rejects_bad_documents(api, body):
    api.put(PAYMENT, json={"use_charge_api": True, "refund_options": ["original", "external"]})
    assert_rejected_unchanged(
        api, PAYMENT, lambda: api.put(PAYMENT, json=body), 400, "invalid_request"
    )


def test_payment_merge_patch_keeps_what_it_does_not_name(api):
    api.put(
        PAYMENT,
        json={
            "refund_options": ["original"],
            "store_mapping": {"US01": {"refund_options": ["gift_card"]}},
            "provider": {"url": "https://psp.example.com/hooks", "api_key": "p" * 20},
        },
    )
    patched = api.patch(
        PAYMENT,
        json={"use_charge_api": True, "store_mapping": {"US02": {"refund_options": ["external"]}}},
    )
    assert patched.status_code == 200, patched.text
    assert api.get(PAYMENT).json() == {
        "use_charge_api": True,
        "refund_options": ["original"],
        "store_mapping": {
            "US01": {"refund_options": ["gift_card"]},
            "US02": {"refund_options": ["external"]},
        },
        "provider": {"url": "https://psp.example.com/hooks", "api_key": "REDACTED", "timeout": 15},
    }
    removed = api.patch(
        PAYMENT, json={"store_mapping": {"US01": None}, "provider": {"timeout": 30}}
    )
    assert removed.json()["store_mapping"] == {"US02": {"refund_options": ["external"]}}
    assert removed.json()["provider"]["api_key"] == "REDACTED"
    for patch in (
        {"refund_options": ["cash"]},
        {"provider": {"url": "http://psp.example.com"}},
        {"x": 1},
    ):
        assert_rejected_unchanged(
            api, PAYMENT, partial(api.patch, PAYMENT, json=patch), 400, "invalid_request"
        )


def test_payment_redacted_key_without_a_stored_one_is_refused(api):
    body = {"provider": {"url": "https://psp.example.com", "api_key": "REDACTED"}}
    assert_rejected_unchanged(
        api, PAYMENT, lambda: api.put(PAYMENT, json=body), 400, "redacted_secret_unknown"
    )


def test_store_settings_round_trip_per_store(api):
    assert api.get("/v0/config/stores/US01").json() == {"mixed_cart": False}
    assert api.put("/v0/config/stores/US01", json={"mixed_cart": True}).json() == {
        "mixed_cart": True
    }
    assert api.get("/v0/config/stores/US01").json() == {"mixed_cart": True}
    assert api.get("/v0/config/stores/US02").json() == {"mixed_cart": False}
    for body in ({}, {"mixed_cart": "true"}, {"mixed_cart": True, "color": "red"}):
        assert_rejected_unchanged(
            api,
            "/v0/config/stores/US01",
            partial(api.put, "/v0/config/stores/US01", json=body),
            400,
            "invalid_request",
        )


def test_if_match_star_and_weak_tags(api):
    path = "/v0/config/stores/US09"
    body = {"mixed_cart": True}
    # "*" matches only a document that is set.
    assert_rejected_unchanged(
        api,
        path,
        partial(api.put, path, json=body, headers={"If-Match": "*"}),
        412,
        "etag_mismatch",
    )
    assert api.put(path, json=body).status_code == 200
    assert api.put(path, json=body, headers={"If-Match": "*"}).status_code == 200
    etag = api.get(path).headers["etag"]
    # If-Match compares strongly: a weak tag never matches; a list matches if one tag does.
    assert_rejected_unchanged(
        api,
        path,
        partial(api.put, path, json=body, headers={"If-Match": f"W/{etag}"}),
        412,
        "etag_mismatch",
    )
    assert api.put(path, json=body, headers={"If-Match": f'"1", {etag}'}).status_code == 200


def test_a_store_id_is_at_most_256_characters(api):
    path = "/v0/config/stores/" + "s" * 257
    assert_problem(api.get(path), 400, "invalid_store_id")
    assert_problem(api.put(path, json={"mixed_cart": True}), 400, "invalid_store_id")
