"""Endless aisle: the availability gate, pre-capture, and what the external OMS hears."""

from __future__ import annotations

import pytest

from tests.support.oms_endpoint import closed_port_url


def names(events):
    return [event["name"] for event in events]


def endless_aisle_cart(shop, quantity=2, product="boot"):
    cart = shop.cart()
    line = shop.add(cart["id"], product, fulfillment="SHIPPING", quantity=quantity)
    shop.ship_to(cart["id"])
    return cart, line


def test_endless_aisle_is_precaptured_and_reads_complete_captured_captured(shop):
    cart, _ = endless_aisle_cart(shop)

    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    order_id = placed["order_id"]
    assert placed["cart_type"] == "endless_aisle"
    assert placed["fulfillment_type"] == "traditional"
    assert (placed["subtotal"], placed["shipping"], placed["total"]) == (240.0, 4.95, 244.95)
    assert [s["fulfillment_node_id"] for s in placed["shipments"]] == ["DC01"]
    order = shop.order(order_id)
    assert (order["status_label"], order["payment_status_label"]) == ("Complete", "Captured")
    assert [item["status_label"] for item in order["items"]] == ["Captured", "Captured"]
    assert {item["fulfilled_by"] for item in order["items"]} == {"external_oms"}
    assert order["totals"]["shipping"] == 4.95
    events = shop.wait_events(order_id, 3)
    assert names(events) == [
        "order.created",
        "payment_account.amount_authorized",
        "payment_account.amount_captured",
    ]
    created = events[0]["payload"]
    assert created["fulfillment_type"] == "traditional"
    assert {item["shipping_service_level"] for item in created["items"]} == {"Priority"}
    assert {item["fulfillment_location_id"] for item in created["items"]} == {"DC01"}
    assert created["shipping_address"]["zip_code"] == "10001"
    assert created["payments"][0]["type"] == "captured"
    assert created["totals"]["shipping"] == 4.95
    assert events[2]["payload"]["transactions"][0]["amount"] == 244.95
    assert [call["operation"] for call in shop.psp.calls()] == ["create_instrument", "capture"]
    # The platform routes nothing itself: no fulfillment request event follows.
    assert not [e for e in shop.quiet() if e["name"].startswith("fulfillment_request.")]


STOCK_CASES = {
    "quantity_unavailable": {},
    "quantity_partially_unavailable": {("DC01", "boot"): 1},
    "fulfillment_location_not_in_config": {("US01", "boot"): 5},
    "fulfillment_location_unknown": "EU7",
}


@pytest.mark.parametrize("code", list(STOCK_CASES))
def test_products_not_available_stops_the_checkout_with_each_lines_reason(shop, code):
    shop.oms.stock.clear()
    case = STOCK_CASES[code]
    if isinstance(case, str):
        shop.oms.extra.append(
            {
                "product_id": "boot",
                "external_identifier": "boot",
                "fulfillment_location": case,
                "atp": 9,
            }
        )
    else:
        shop.oms.stock.update(case)
    shop.oms.stock[("DC01", "sock")] = 5
    cart = shop.cart()
    boot = shop.add(cart["id"], "boot", fulfillment="SHIPPING", quantity=2)
    shop.add(cart["id"], "sock", fulfillment="SHIPPING")
    shop.ship_to(cart["id"])

    refused = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["error_code"] == "products_not_available"
    assert problem["message"] == "Products not available"
    assert [(p["line_id"], p["product_id"], p["error_code"]) for p in problem["problems"]] == [
        (boot, "boot", code)
    ]
    assert problem["problems"][0]["requested_quantity"] == 2
    assert shop.psp.calls() == []
    assert shop.quiet() == []
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "open"


def test_a_part_of_a_split_shipment_that_cannot_be_completed_is_named(shop):
    shop.oms.stock.clear()
    shop.oms.stock.update({("DC01", "sock"): 1, ("US02", "boot"): 1})
    cart = shop.cart()
    shop.add(cart["id"], "sock", fulfillment="SHIPPING")
    boot = shop.add(cart["id"], "boot", fulfillment="SHIPPING", quantity=2)
    shop.ship_to(cart["id"])

    problem = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}]).json()

    assert [(p["line_id"], p["error_code"]) for p in problem["problems"]] == [
        (boot, "split_shipment_part_unavailable")
    ]


def test_when_the_oms_cannot_answer_nothing_is_available_and_the_same_key_works_later(shop):
    cart, line = endless_aisle_cart(shop)
    shop.configure("availability_webhook", {**shop.oms.webhook_config(), "url": closed_port_url()})
    payment = [{"method": "credit_card", "token": "tok_visa"}]

    refused = shop.checkout(cart["id"], payment, key="ea-retry")

    assert refused.status_code == 409
    assert [(p["line_id"], p["error_code"], p["reason"]) for p in refused.json()["problems"]] == [
        (line, "quantity_unavailable", "refused")
    ]
    shop.configure("availability_webhook", shop.oms.webhook_config())
    assert shop.checkout(cart["id"], payment, key="ea-retry").status_code == 201


def test_split_shipments_are_reported_with_each_items_planned_location(shop):
    shop.oms.stock.clear()
    shop.oms.stock.update({("DC01", "boot"): 1, ("US02", "boot"): 2})
    cart, line = endless_aisle_cart(shop, quantity=3)

    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert placed["shipments"] == [
        {
            "fulfillment_node_id": "DC01",
            "items": [{"line_id": line, "product_id": "boot", "quantity": 1}],
        },
        {
            "fulfillment_node_id": "US02",
            "items": [{"line_id": line, "product_id": "boot", "quantity": 2}],
        },
    ]
    assert [item["fulfillment_location_id"] for item in placed["items"]] == ["DC01", "US02", "US02"]


def test_endless_aisle_needs_use_charge_api_and_the_external_oms(shop):
    cart, _ = endless_aisle_cart(shop)
    shop.configure("payment", {"use_charge_api": False}, method="PATCH")

    no_charge = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert no_charge.status_code == 412
    assert no_charge.json()["error_code"] == "charge_api_required"
    shop.configure("payment", {"use_charge_api": True}, method="PATCH")
    shop.configure("external_oms", {"enabled": False})

    no_oms = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert no_oms.status_code == 412
    assert no_oms.json()["error_code"] == "external_oms_disabled"
    assert shop.psp.calls() == []


def test_cash_pays_for_endless_aisle_only_with_the_capability(shop):
    cart, _ = endless_aisle_cart(shop, quantity=1)

    refused = shop.checkout(cart["id"], [{"method": "cash"}])

    assert refused.status_code == 409
    assert refused.json()["error_code"] == "cash_not_allowed"
    shop.capabilities(cash_for_endless_aisle_orders_enabled=True)

    placed = shop.placed(cart["id"], [{"method": "cash"}])

    assert (placed["status_label"], placed["payment_status_label"]) == ("Complete", "Captured")
    assert names(shop.wait_events(placed["order_id"], 3)) == [
        "order.created",
        "payment_account.amount_authorized",
        "payment_account.amount_captured",
    ]


def test_shipped_lines_need_an_address_and_a_service_level_the_destination_is_offered(shop):
    cart = shop.cart()
    shop.add(cart["id"], "boot", fulfillment="SHIPPING")
    pay = [{"method": "credit_card", "token": "tok_visa"}]

    no_address = shop.checkout(cart["id"], pay)
    shop.api.patch(
        f"/checkout/carts/{cart['id']}",
        json={"shipping_address": {"address_line_1": "1 rue de Rivoli", "country": "FR"}},
    )
    no_level = shop.checkout(cart["id"], pay)
    shop.api.patch(f"/checkout/carts/{cart['id']}", json={"service_level": "Priority"})
    not_offered = shop.checkout(cart["id"], pay)

    assert [r.json()["error_code"] for r in (no_address, no_level, not_offered)] == [
        "shipping_address_required",
        "service_level_required",
        "service_level_not_offered",
    ]
    assert {r.status_code for r in (no_address, no_level, not_offered)} == {400}
