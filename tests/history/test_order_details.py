"""One order's details through ``GET /v0/orders/{id}?id_type=external``, and every documented
failure of the external order webhook as the Sales Orders API surfaces it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.history.conftest import use_oms_history
from tests.support.order_webhook import OrderWebhook, external_order
from tests.support.placed_orders import cash_and_carry, place

EMAIL = "jane@example.com"
EXAMPLES = Path(__file__).parent / "examples"


def details(api, number: str):
    return api.get(f"/v0/orders/{number}", params={"id_type": "external"})


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    return body


def test_the_reference_sample_comes_back_as_the_oms_sent_it(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    sample = json.loads((EXAMPLES / "sales-order-hook.order-details.response.json").read_text())
    webhook.orders.append(sample)

    response = details(api, "GD000001234")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["origin"] == "external"
    assert body["customer"] == sample["customer"]
    assert body["totals"] == {k: float(v) for k, v in sample["totals"].items()}
    assert body["payment_history"] == [
        {
            "category": "payment",
            "method": "credit_card",
            "amount": 88.0,
            "currency": "USD",
            "payment_information": "VISA ****1111",
        }
    ]
    assert body["placed_at"] == "2021-11-22T12:51:39.300000Z"
    assert webhook.recorded()[-1].path == "/oms/orders/GD000001234"


@pytest.mark.parametrize("methods", [["credit_card", "cash"], ["gift_card"]])
def test_payment_history_is_kept_when_every_method_is_one_the_app_shows(
    api, webhook: OrderWebhook, methods
):
    use_oms_history(api, webhook)
    history = [
        {"category": "payment", "method": method, "amount": 44, "currency": "USD"}
        for method in methods
    ]
    webhook.orders.append(external_order("GD1", payment_history=history))
    body = details(api, "GD1").json()
    assert [entry["method"] for entry in body["payment_history"]] == methods


def test_payment_history_is_left_out_when_a_method_is_not_one_the_app_shows(
    api, webhook: OrderWebhook
):
    use_oms_history(api, webhook)
    history = [
        {"category": "payment", "method": "credit_card", "amount": 44, "currency": "USD"},
        {"category": "payment", "method": "paypal", "amount": 44, "currency": "USD"},
    ]
    webhook.orders.append(external_order("GD2", payment_history=history))
    response = details(api, "GD2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "payment_history" not in body
    assert body["items"][0]["id"] == "GD2-1"


def test_a_malformed_payment_entry_fails_validation(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    history = [{"category": "payment", "method": "cash", "currency": "USD"}]
    webhook.orders.append(external_order("GD3", payment_history=history))
    body = assert_problem(details(api, "GD3"), 409, "conflict")
    assert body["message"].endswith('Error: "payment_history.0.amount" is a required attribute.')


def test_an_order_unknown_to_the_oms_is_not_found(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    assert_problem(details(api, "NOPE"), 404, "order_not_found")


def test_internal_ids_never_ask_the_oms(platform, tenant, api, webhook: OrderWebhook):
    placed = place(platform, cash_and_carry(tenant.tenant, "CW-9", customer_email=EMAIL))
    use_oms_history(api, webhook)
    response = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"})
    assert response.status_code == 200
    assert response.json()["id"] == "CW-9"
    assert response.json().get("payment_history", []) == []  # empty for internal ids
    assert webhook.recorded() == []


def test_without_the_webhook_external_ids_read_the_platforms_order(platform, tenant, api):
    place(platform, cash_and_carry(tenant.tenant, "CW-10"))
    switched = api.patch("/v0/config/associate_app", json={"use_new_om_ui": True})
    assert switched.status_code == 200
    response = details(api, "CW-10")
    assert response.status_code == 200
    assert response.json()["uuid"]


# --- the documented failures ---------------------------------------------------------------------


def test_history_without_orders_in_the_answer_is_409_as_documented(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    webhook.mode = "wrong_shape"
    reference = json.loads(
        (EXAMPLES / "sales-orders.409.webhook-validation.response.json").read_text()
    )
    body = assert_problem(
        api.get("/v0/orders", params={"customer_email": EMAIL}), 409, reference["error_code"]
    )
    assert body["message"].startswith("Failed JSON schema validation")
    assert body["message"].endswith('Error: "orders" is a required attribute.')
    assert reference["message"].endswith('Error: "orders" is a required attribute.')


def test_an_order_of_the_wrong_shape_fails_validation(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    broken = external_order("GD4", email=EMAIL)
    broken["placed_at"] = "yesterday"
    broken["items"][0]["status"] = "lost"
    webhook.orders.append(broken)
    body = assert_problem(api.get("/v0/orders", params={"customer_email": EMAIL}), 409, "conflict")
    assert any("orders.0.placed_at" in message for message in body["messages"])
    assert any("orders.0.items.0.status" in message for message in body["messages"])


def test_order_details_without_totals_fail_validation(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    webhook.orders.append(external_order("GD5"))
    webhook.mode = "wrong_shape"
    body = assert_problem(details(api, "GD5"), 409, "conflict")
    assert body["message"].endswith('Error: "totals" is a required attribute.')


def test_an_answer_that_is_not_json_fails_validation(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    webhook.mode = "garbage"
    assert_problem(api.get("/v0/orders", params={"customer_email": EMAIL}), 409, "conflict")
    assert_problem(details(api, "GD6"), 409, "conflict")


def test_a_webhook_without_an_api_key_is_412_and_not_called(api, webhook: OrderWebhook):
    use_oms_history(api, webhook, api_key=None)
    body = assert_problem(
        api.get("/v0/orders", params={"customer_email": EMAIL}), 412, "precondition_error"
    )
    reference = json.loads((EXAMPLES / "sales-orders.412.webhook-config.response.json").read_text())
    assert (body["error_code"], body["message"]) == (reference["error_code"], reference["message"])
    assert_problem(details(api, "GD7"), 412, "precondition_error")
    assert webhook.recorded() == []


@pytest.mark.parametrize("status", [500, 502, 503, 401])
def test_an_oms_error_is_503_external_server_error(api, webhook: OrderWebhook, status):
    use_oms_history(api, webhook)
    webhook.mode, webhook.status = "status", status
    reference = json.loads((EXAMPLES / "sales-orders.503.webhook-error.response.json").read_text())
    body = assert_problem(
        api.get("/v0/orders", params={"customer_email": EMAIL}), 503, reference["error_code"]
    )
    assert str(status) in body["message"]
    assert_problem(details(api, "GD8"), 503, "external_server_error")


def test_a_refused_api_key_is_503(api, webhook: OrderWebhook):
    use_oms_history(api, webhook, api_key="another-key-that-is-long-enough")
    body = assert_problem(details(api, "GD9"), 503, "external_server_error")
    assert body["webhook_outcome"] == "http_401"


def test_an_unreachable_oms_is_503(api):
    configured = api.put(
        "/v0/config/external_order_webhook",
        json={"url": "http://127.0.0.1:9/oms", "api_key": "k" * 24, "timeout": 5},
    )
    assert configured.status_code == 200
    assert api.patch("/v0/config/associate_app", json={"use_new_om_ui": True}).status_code == 200
    body = assert_problem(details(api, "GD10"), 503, "external_server_error")
    assert body["webhook_outcome"] == "refused"


def test_an_oms_slower_than_the_timeout_is_503(api, webhook: OrderWebhook):
    use_oms_history(api, webhook, timeout=5)
    webhook.delay = 6.0
    body = assert_problem(
        api.get("/v0/orders", params={"customer_email": EMAIL}), 503, "external_server_error"
    )
    assert body["webhook_outcome"] == "timeout"
    assert "5 s" in body["message"]
