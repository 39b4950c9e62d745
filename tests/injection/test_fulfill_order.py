"""POST /v0/d/fulfill_order: the documented payloads, answers and each documented 400."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cashwrap.injection.service import OfferToken, encode
from tests.support.stores import StoreTenant, order_payload

# Copies of the reference's examples/fulfill-order.*.json.
EXAMPLES = Path(__file__).parent / "examples"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def assert_problem(response, code: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    return body


def assert_refused(store: StoreTenant, payload: dict[str, Any], code: str) -> dict[str, Any]:
    """Refused with ``code`` and nothing written: no order under that number, no events."""
    before = len(store.events())
    body = assert_problem(store.inject(payload), code)
    missing = store.api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"})
    assert missing.status_code == 404
    assert len(store.events()) == before
    return body


def test_the_documented_external_routing_example_creates_an_order_for_the_store(store):
    payload = example("fulfill-order.external-routing.request.json")
    payload["shipments"][0]["items"][0]["product_id"] = "1000761"
    payload["shipments"][0]["shipping_option"]["routing_strategy"]["fulfillment_node_id"] = "US01"
    payload["external_id"] = "EXT-ORDER-0001-" + store.tenant[-6:]
    response = store.inject(payload)
    assert response.status_code == 200, response.text
    body = response.json()
    documented = example("fulfill-order.response.json")
    assert set(body) == set(documented)
    assert body["external_id"] == payload["external_id"]
    [item] = body["items"]
    assert set(item) == set(documented["items"][0])
    assert item["external_item_id"] == "EXT-ITEM-1"
    assert item["product_id"] == "1000761"
    assert len(item["id"]) == 36

    order = store.order(body["id"])
    assert order["id"] == payload["external_id"]
    assert (order["origin"], order["origin_id"]) == ("external", payload["external_id"])
    assert order["status"] == "open"
    assert order["payment_status"] == "captured"
    assert order["totals"]["total"] == 108.88
    assert order["items"][0]["status"] == "in_fulfillment"
    assert order["items"][0]["fulfillment_location_id"] == "US01"
    [request] = store.requests_of(body["id"])
    assert request["fulfillment_node_id"] == "US01"
    assert request["status"] == "dispatched"
    assert [i["item_id"] for i in request["items"]] == [item["id"]]

    created = store.wait_event("order.created", lambda p: p["id"] == body["id"])
    assert created["external_id"] == payload["external_id"]
    assert created["origin"] == "external"
    assigned = store.wait_event(
        "fulfillment_request.assigned", lambda p: p["order_id"] == body["id"]
    )
    assert assigned["fulfillment_location_id"] == "US01"
    assert assigned["external_order_id"] == payload["external_id"]
    assert [i["id"] for i in assigned["items"]] == [item["id"]]


def test_the_documented_in_store_handover_example_is_a_closed_order_without_requests(store):
    payload = example("fulfill-order.in-store-handover.request.json")
    payload["store_id"] = "store-nyc"
    payload["external_id"] = "POS-0002-" + store.tenant[-6:]
    body = store.injected(payload)
    order = store.order(body["id"])
    assert order["status"] == "closed"
    assert order["status_label"] == "Complete"
    assert order["fulfillment_type"] == "in_store_purchase"
    assert order["items"][0]["status"] == "complete"
    assert order["items"][0]["fulfillment_location_id"] == "US01"
    assert store.requests_of(body["id"]) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["shipments"][0]["items"][0]["price"].pop("item_tax_lines"),
         "shipments.0.items.0.price.item_tax_lines"),
        (lambda p: p.update(channel_type="fax"), "channel_type"),
        (lambda p: p.update(currency="usd"), "currency"),
        (lambda p: p.update(external_id="x" * 65), "external_id"),
        (lambda p: p.update(shipments=[]), "shipments"),
        (lambda p: p["shipments"][0]["items"][0]["price"].update(item_price="100"),
         "shipments.0.items.0.price.item_price"),
        (lambda p: p["shipments"][0]["items"][0].update(quantity=2),
         "shipments.0.items.0.quantity"),
        (lambda p: p["shipments"][0]["shipping_option"].pop("service_level_identifier"),
         "shipments.0.shipping_option"),
        (lambda p: p["shipments"][0]["shipping_option"]["routing_strategy"].pop(
            "fulfillment_node_id"),
         "shipments.0.shipping_option.routing_strategy.external.fulfillment_node_id"),
        (lambda p: p["payments"][0].update(type="pending"), "payments.0.type"),
        (lambda p: p["shipping_address"].pop("country"), "shipping_address.country"),
        (lambda p: p.update(is_historical=True), "shipments.0"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_field(store, change, field):
    payload = order_payload()
    change(payload)
    body = assert_refused(store, payload, "schema_validation_error")
    assert any(error["field"].startswith(field) for error in body["errors"]), body["errors"]
    assert field in body["message"]


def test_a_body_that_is_not_json_is_refused(store):
    response = store.api.post(
        "/v0/d/fulfill_order", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, "invalid_json")


def post_raw(store: StoreTenant, payload: dict[str, Any], **raw: str) -> Any:
    """``payload`` sent with each ``"<name>"`` placeholder string replaced by raw JSON text."""
    text = json.dumps(payload)
    for name, value in raw.items():
        text = text.replace(f'"<{name}>"', value)
    return store.api.post(
        "/v0/d/fulfill_order", content=text.encode(), headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize("text", [r'"Jane\u0000Doe"', r'"\ud800 Doe"', r'"Jane \udc00"'])
def test_text_no_database_can_store_is_refused_and_nothing_is_written(store, text):
    payload = order_payload(customer_name="<name>")
    before = len(store.events())
    assert_problem(post_raw(store, payload, name=text), "invalid_characters")
    missing = store.api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"})
    assert missing.status_code == 404
    assert len(store.events()) == before


def test_characters_beyond_the_basic_plane_are_kept(store):
    payload = order_payload(customer_name="<name>")
    response = post_raw(store, payload, name=r'"Jane \ud83d\ude00 \\u0000"')
    assert response.status_code == 200, response.text
    order = store.api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"})
    assert order.json()["customer"]["name"] == "Jane \U0001f600 \\u0000"


@pytest.mark.parametrize(
    ("value", "why"), [("NaN", "finite"), ("Infinity", "finite"), (str(2**64), "64 bits")]
)
def test_payment_metadata_must_be_json_a_column_can_keep(store, value, why):
    payload = order_payload()
    payload["payments"][0]["metadata"] = {"psp_reference": "<value>"}
    body = assert_problem(post_raw(store, payload, value=value), "schema_validation_error")
    assert "payments.0.metadata" in body["message"]
    assert why in body["message"]
    missing = store.api.get(f"/v0/orders/{payload['external_id']}", params={"id_type": "external"})
    assert missing.status_code == 404


def test_amounts_beyond_the_largest_the_platform_keeps_are_refused(store):
    body = assert_refused(store, order_payload(price=1e17, tax=0), "invalid_amount")
    assert "shipments.0.items.0.price" in body["message"]
    shipping = order_payload(shipping_price=1e17)
    assert_refused(store, shipping, "invalid_amount")


def test_prices_must_respect_the_currency_decimals(store):
    payload = order_payload(price=100.001, tax=0, with_payment=False)
    body = assert_refused(store, payload, "invalid_currency_decimals")
    assert "shipments.0.items.0.price.item_list_price" in body["message"]

    yen = order_payload(price=1000.5, tax=0, with_payment=False, currency="JPY")
    assert_refused(store, yen, "invalid_currency_decimals")
    dinar = order_payload(price=10.125, tax=0.125, currency="KWD")
    dinar["payments"][0]["amount"] = 10.25
    assert store.inject(dinar).status_code == 200


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p.update(price_method="tax_included"), "wrong price_method"),
        (lambda p: p["payments"][0].update(amount=100.0), "tax left out"),
        (lambda p: p["shipments"][0]["shipping_option"].update(price=5.0), "shipping left out"),
    ],
)
def test_the_payments_must_add_up_to_items_and_shipping(store, change, why):
    payload = order_payload()
    change(payload)
    assert_refused(store, payload, "payment_total_mismatch")


def test_discounts_are_taken_off_the_total(store):
    payload = order_payload(price=100.0, tax=8.0)
    price = payload["shipments"][0]["items"][0]["price"]
    price["item_discount_info"] = [
        {"discount_ref": "SPRING", "original_value": 10, "price_adjustment": 10.0, "type": "fixed"}
    ]
    payload["payments"][0]["amount"] = 108.0
    assert_refused(store, copy.deepcopy(payload), "payment_total_mismatch")
    payload["payments"][0]["amount"] = 98.0
    body = store.injected(payload)
    order = store.order(body["id"])
    assert order["totals"]["total"] == 98.0
    assert order["totals"]["discount"] == 10.0


def test_correlation_refs_are_unique_in_an_order(store):
    payload = order_payload(price=50.0, tax=0)
    payload["payments"] = [dict(payload["payments"][0], amount=25.0) for _ in range(2)]
    body = assert_refused(store, payload, "schema_validation_error")
    assert body["errors"][0]["field"] == "payments.1.correlation_ref"


def addon_payload(**parents: str | None) -> dict[str, Any]:
    """Two items A (parent) and B; ``B`` names its parent."""
    payload = order_payload(products=("1000761", "1000762"), price=10.0, tax=0)
    items = payload["shipments"][0]["items"]
    items[0]["external_item_id"], items[1]["external_item_id"] = "A", "B"
    for item in items:
        parent = parents.get(item["external_item_id"])
        if parent is not None:
            item["addon_parent_external_item_id"] = parent
    return payload


def test_an_add_on_is_linked_to_its_parent(store):
    body = store.injected(addon_payload(B="A"))
    order = store.order(body["id"])
    parent, addon = order["items"]
    assert addon["addon_parent_item_id"] == parent["uuid"]


@pytest.mark.parametrize(
    "parents",
    [{"B": "Z"}, {"B": "B"}, {"A": "B", "B": "A"}],
    ids=["unknown parent", "itself", "nested"],
)
def test_add_on_parents_must_be_another_plain_item_of_the_shipment(store, parents):
    assert_refused(store, addon_payload(**parents), "addon_invalid_parent_item")


def test_an_add_on_parent_in_another_shipment_is_refused(store):
    payload = addon_payload(B="A")
    first, second = payload["shipments"][0]["items"]
    token = encode(OfferToken("Priority", fulfillment_node_id="US01"))
    option = {"shipping_offer_token": token, "price": 0, "tax": 0}
    payload["shipments"] = [
        {"items": [first], "shipping_option": option},
        {"items": [second], "shipping_option": option},
    ]
    assert_refused(store, payload, "addon_invalid_parent_item")


def test_add_on_external_item_ids_must_be_unique(store):
    payload = addon_payload(B="A")
    payload["shipments"][0]["items"][0]["external_item_id"] = "B"
    payload["shipments"][0]["items"][1]["addon_parent_external_item_id"] = "B"
    assert_refused(store, payload, "addon_duplicate_external_item_id")


def two_shipments(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    payload = order_payload(products=("1000761", "1000762"), price=10.0, tax=0)
    a, b = payload["shipments"][0]["items"]
    payload["shipments"] = [
        {"items": [a], "shipping_option": first},
        {"items": [b], "shipping_option": second},
    ]
    return payload


BY_LEVEL = {"service_level_identifier": "Priority", "price": 0, "tax": 0}


def by_token(node: str = "US01", **fields: Any) -> dict[str, Any]:
    token = encode(OfferToken("Priority", fulfillment_node_id=node, **fields))
    return {"shipping_offer_token": token, "price": 0, "tax": 0}


def test_several_shipments_with_offer_tokens_make_one_request_each(store):
    body = store.injected(two_shipments(by_token("US01"), by_token("US02")))
    requests = store.requests_of(body["id"])
    assert sorted(r["fulfillment_node_id"] for r in requests) == ["US01", "US02"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (BY_LEVEL, BY_LEVEL),
        (BY_LEVEL, by_token()),
        ({**by_token(), "service_level_identifier": "Priority"}, by_token()),
        (by_token(), {"shipping_offer_token": "not-a-token", "price": 0, "tax": 0}),
    ],
    ids=["several by service level", "mixed kinds", "both in one option", "unreadable token"],
)
def test_shipping_options_are_by_service_level_or_token_never_mixed(store, first, second):
    assert_refused(store, two_shipments(first, second), "invalid_shipments")


def test_an_unreadable_token_gets_the_documented_message(store):
    payload = order_payload()
    payload["shipments"][0]["shipping_option"] = {
        "shipping_offer_token": "garbage",
        "price": 0,
        "tax": 0,
    }
    body = assert_refused(store, payload, "invalid_shipments")
    assert body["message"] == (
        "Failed to read shipping options by shipping offer token. At least one of the provided "
        "shipping offer tokens could not be parsed."
    )


def test_an_expired_offer_token_is_refused(store):
    from datetime import UTC, datetime, timedelta

    payload = order_payload()
    payload["shipments"][0]["shipping_option"] = by_token(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    assert_refused(store, payload, "invalid_shipments")


def test_external_routing_needs_a_service_level_not_a_token(store):
    payload = order_payload()
    option = by_token()
    option["routing_strategy"] = {"strategy": "external", "fulfillment_node_id": "US01"}
    payload["shipments"][0]["shipping_option"] = option
    assert_refused(store, payload, "invalid_shipments")


def test_default_routing_uses_the_fulfillment_configuration(store):
    body = store.injected(order_payload(strategy=None))
    [request] = store.requests_of(body["id"])
    assert request["fulfillment_node_id"] == "US01"


def test_a_prerouted_shipment_without_stock_waits_on_hold(store):
    body = store.injected(order_payload(strategy="prerouted", products=("nothing-here",)))
    order = store.order(body["id"])
    assert order["status"] == "on_hold"
    assert order["items"][0]["status"] == "on_hold"
    assert store.requests_of(body["id"]) == []


def historical_payload(node: str) -> dict[str, Any]:
    payload = order_payload(strategy=None)
    shipment = payload["shipments"][0]
    shipment.pop("shipping_option")
    shipment["historical_shipping_option"] = {
        "country_code": "US",
        "display_name": "Ground",
        "fulfillment_node_id": node,
        "price": 0,
        "service_level_identifier": "Priority",
        "shipping_carrier": "USPS",
        "shipping_type": "traditional_carrier",
        "tax": 0,
        "zip_code": "10001",
    }
    shipment["shipped_at"] = "2024-03-02T10:00:00Z"
    payload["is_historical"] = True
    return payload


def test_a_historical_order_is_imported_closed(store):
    body = store.injected(historical_payload("DC01"))
    order = store.order(body["id"])
    assert order["status"] == "closed"
    assert order["items"][0]["fulfillment_location_id"] == "DC01"
    assert store.requests_of(body["id"]) == []
    created = store.wait_event("order.created", lambda p: p["id"] == body["id"])
    assert created["is_historical"] is True


def test_a_historical_fulfillment_node_id_is_kept_whole_up_to_its_bound(store):
    node = "N" * 256
    refused = assert_refused(store, historical_payload(node + "N"), "schema_validation_error")
    assert "historical_shipping_option.fulfillment_node_id" in refused["message"]

    body = store.injected(historical_payload(node))
    assert store.order(body["id"])["items"][0]["fulfillment_location_id"] == node


def test_injection_needs_a_token(anonymous):
    response = anonymous.post("/v0/d/fulfill_order", json=order_payload())
    assert response.status_code == 401
