"""Webhooks the platform calls (ATP, external order, shipping adapter, EasyPost): validation of
the URL and key, and keys never shown again once stored."""

from __future__ import annotations

import pytest

from tests.config.support import assert_problem, assert_rejected_unchanged, example, read

ATP = "/v0/config/availability_webhook"
ORDERS = "/v0/config/external_order_webhook"
SHIPPING = "/v0/config/shipping_adapter"
EASYPOST = "/fulfillment/adapters/config"
KEY = "k" * 24
OTHER_KEY = "o" * 24


def atp(**change):
    return {**example("availability-config.update.request.json"), **change}


def test_the_atp_webhook_round_trips_with_its_key_redacted(api):
    assert_problem(api.get(ATP), 404, "not_found")
    put = api.put(ATP, json=atp())
    assert put.status_code == 200, put.text
    expected = {**atp(), "api_key": "REDACTED"}
    assert put.json() == expected
    assert api.get(ATP).json() == expected
    assert "962b5dfbc57da5448cb4" not in api.get(ATP).text


def test_sending_redacted_back_keeps_the_stored_key(api, platform, tenant):
    api.put(ATP, json=atp())
    assert api.put(ATP, json=atp(api_key="REDACTED", timeout=30)).status_code == 200
    webhook = read(platform, "availability_webhook", tenant.tenant)
    assert webhook.api_key == "962b5dfbc57da5448cb4"
    assert webhook.timeout == 30


def test_redacted_without_a_stored_key_is_refused(api):
    assert_rejected_unchanged(
        api, ATP, lambda: api.put(ATP, json=atp(api_key="REDACTED")), 400, "redacted_secret_unknown"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/atp",
        "http://127.8.9.10/atp",
        "http://localhost:8080/atp",
        "http://[::1]:9000/atp",
        "https://oms.example.com/atp",
    ],
)
def test_https_or_loopback_http_urls_are_accepted(api, url):
    assert api.put(ATP, json=atp(url=url)).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "http://oms.example.com/atp"}, "url"),
        ({"url": "http://10.0.0.8/atp"}, "url"),
        ({"url": "ftp://oms.example.com/atp"}, "url"),
        ({"url": "oms.example.com/atp"}, "url"),
        ({"url": "https://oms.example.com:99999/atp"}, "url"),
        ({"url": ""}, "url"),
        ({"api_key": "short-key"}, "api_key"),
        ({"api_key": "x" * 19}, "api_key"),
        ({"external_identifier": "sku"}, "external_identifier"),
        ({"external_identifier": ""}, "external_identifier"),
        ({"timeout": 4}, "timeout"),
        ({"timeout": 61}, "timeout"),
        ({"timeout": 15.0}, "timeout"),
        ({"timeout": "15"}, "timeout"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_atp_webhook_rules_are_enforced_and_change_nothing(api, change, field):
    api.put(ATP, json=atp())
    problem = assert_rejected_unchanged(
        api, ATP, lambda: api.put(ATP, json=atp(**change)), 400, "invalid_request"
    )
    assert problem["message"].startswith(field)


@pytest.mark.parametrize("missing", ["url", "api_key", "external_identifier", "timeout"])
def test_every_atp_field_is_required(api, missing):
    body = atp()
    del body[missing]
    assert_rejected_unchanged(api, ATP, lambda: api.put(ATP, json=body), 400, "invalid_request")


def test_deleting_the_atp_webhook(api):
    api.put(ATP, json=atp())
    assert api.delete(ATP).status_code == 204
    assert_problem(api.get(ATP), 404, "not_found")
    assert_problem(api.delete(ATP), 404, "not_found")
    # Set again after a delete: the old ETag stays stale.
    assert api.put(ATP, json=atp(), headers={"If-Match": '"2"'}).status_code == 412


@pytest.mark.parametrize("path", [ORDERS, SHIPPING])
def test_our_webhooks_round_trip_with_optional_key(api, path):
    plain = {"url": "https://oms.example.com/orders"}
    put = api.put(path, json=plain)
    assert put.status_code == 200, put.text
    assert put.json() == {"url": "https://oms.example.com/orders", "api_key": None, "timeout": 15}
    keyed = api.put(path, json={**plain, "api_key": KEY, "timeout": 20})
    assert keyed.json()["api_key"] == "REDACTED"
    assert api.get(path).json() == {"url": plain["url"], "api_key": "REDACTED", "timeout": 20}
    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "not_found")


@pytest.mark.parametrize("path", [ORDERS, SHIPPING])
@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://oms.example.com"},
        {"url": "https://oms.example.com", "api_key": "short"},
        {"url": "https://oms.example.com", "timeout": 0},
        {"api_key": KEY},
    ],
)
def test_our_webhooks_validate_and_change_nothing(api, path, body):
    api.put(path, json={"url": "https://oms.example.com", "api_key": KEY})
    assert_rejected_unchanged(api, path, lambda: api.put(path, json=body), 400, "invalid_request")


EASYPOST_CONFIG = {
    "easypost_api_key": "EZAK_live_0123456789",
    "carrier_accounts": {"fedex": {"9801": "ca_123"}},
    "shipment_creation_options": {"fedex": {"saturday_delivery": True}},
    "base_customization_url": "https://custom.example.com/hook",
    "ignore_customization_failure_on_booking": False,
    "newstore_url": "https://tenant.x.newstore.net",
    "newstore_username": "easypost",
    "newstore_password": "s3cret-password",
}


def test_easypost_config_round_trips_with_credentials_redacted(api):
    put = api.put(EASYPOST, json=EASYPOST_CONFIG)
    assert put.status_code == 200, put.text
    expected = {**EASYPOST_CONFIG, "easypost_api_key": "REDACTED", "newstore_password": "REDACTED"}
    assert api.get(EASYPOST).json() == expected
    again = api.put(
        EASYPOST,
        json={**EASYPOST_CONFIG, "easypost_api_key": "REDACTED", "newstore_password": "REDACTED"},
    )
    assert again.status_code == 200
    assert api.get(EASYPOST).json() == expected


def test_the_easypost_key_cannot_change_once_set(api):
    api.put(EASYPOST, json=EASYPOST_CONFIG)
    assert_rejected_unchanged(
        api,
        EASYPOST,
        lambda: api.put(EASYPOST, json={**EASYPOST_CONFIG, "easypost_api_key": "EZAK_other"}),
        403,
        "easypost_api_key_immutable",
    )
    assert api.delete(EASYPOST).status_code == 204
    assert (
        api.put(EASYPOST, json={**EASYPOST_CONFIG, "easypost_api_key": "EZAK_other"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "change",
    [
        {"easypost_api_key": ""},
        {"base_customization_url": "http://custom.example.com"},
        {"carrier_accounts": {"fedex": 3}},
        {"ignore_customization_failure_on_booking": "no"},
    ],
)
def test_easypost_config_is_validated(api, change):
    api.put(EASYPOST, json=EASYPOST_CONFIG)
    assert_rejected_unchanged(
        api,
        EASYPOST,
        lambda: api.put(EASYPOST, json={**EASYPOST_CONFIG, **change}),
        400,
        "invalid_request",
    )


def test_easypost_needs_its_key(api):
    body = {key: value for key, value in EASYPOST_CONFIG.items() if key != "easypost_api_key"}
    assert_rejected_unchanged(
        api, EASYPOST, lambda: api.put(EASYPOST, json=body), 400, "invalid_request"
    )
