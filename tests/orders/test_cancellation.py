# ruff: noqa: F811 - the shop fixtures are imported, then requested by name
"""Reading and cancelling orders (c.2): the cancellation status, cancelling orders and items,
and what their payment account gives back."""

from __future__ import annotations

import pytest

from tests.checkout.support import (  # noqa: F401 - fixtures
    oms_atp,
    oms_atp_server,
    psp,
    psp_server,
    shop,
    sink_server,
)

CARD = [{"method": "credit_card", "token": "tok_visa"}]


def names(events):
    return [event["name"] for event in events]


def cash_and_carry(shop, payments=CARD, hand_over=False):
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)
    return shop.placed(cart["id"], payments, hand_over=hand_over)


def endless_aisle(shop, payments=CARD, quantity=2):
    cart = shop.cart()
    shop.add(cart["id"], "boot", fulfillment="SHIPPING", quantity=quantity)
    shop.ship_to(cart["id"])
    return shop.placed(cart["id"], payments)


def status(shop, order_id, id_type="internal"):
    response = shop.api.get(f"/v0/orders/{order_id}/cancel", params={"id_type": id_type})
    assert response.status_code == 200, response.text
    return response.json()


def cancel(shop, order_id, body=None, id_type="internal"):
    return shop.api.post(
        f"/v0/orders/{order_id}/cancel",
        params={"id_type": id_type},
        json={"reason": "Customer changed their mind"} if body is None else body,
    )


def test_the_cancellation_status_follows_each_flow(shop):
    at_the_till = cash_and_carry(shop)
    handed_over = cash_and_carry(shop, hand_over=True)
    shipped = endless_aisle(shop)

    assert status(shop, at_the_till["order_id"]) == {
        "cancelable": True,
        "canceled": False,
        "is_safe": True,
    }
    assert status(shop, handed_over["order_number"], "external") == {
        "cancelable": False,
        "canceled": False,
        "is_safe": False,
    }
    # The external OMS may already be shipping it.
    assert status(shop, shipped["order_id"]) == {
        "cancelable": True,
        "canceled": False,
        "is_safe": False,
    }
    missing = shop.api.get("/v0/orders/CW-999999/cancel", params={"id_type": "external"})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "order_not_found"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"note": "no reason"}])
def test_cancelling_needs_a_reason_and_changes_nothing_without_one(shop, body):
    placed = cash_and_carry(shop)

    refused = cancel(shop, placed["order_id"], body)

    assert refused.status_code == 400
    assert refused.json()["error_code"] == "invalid_request"
    assert "reason" in refused.json()["message"]
    assert status(shop, placed["order_id"])["cancelable"] is True


def test_cancelling_an_authorized_order_revokes_the_authorization(shop):
    placed = cash_and_carry(shop)
    order_id = placed["order_id"]

    cancelled = cancel(shop, order_id, {"reason": "Customer left", "note": "card kept"})

    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["canceled"], body["cancelable"]) == (True, False)
    assert body["payment_release"] == {
        "state": "succeeded",
        "currency": "USD",
        "revoked": 39.98,
        "refunded": 0.0,
        "unreleased": 0.0,
    }
    order = shop.order(order_id)
    assert (order["status_label"], order["payment_status_label"]) == ("Cancelled", "Voided")
    assert [call["operation"] for call in shop.psp.calls()] == ["create_instrument", "revoke"]
    events = shop.wait_events(order_id, 3)
    assert names(events) == [
        "payment_account.amount_authorized",
        "order.created",
        "order.cancelled",
    ]
    assert events[2]["payload"]["reason"] == "Customer left"
    assert events[2]["payload"]["note"] == "card kept"
    assert len(events[2]["payload"]["items"]) == 2

    again = cancel(shop, order_id)
    assert again.status_code == 409
    assert again.json()["error_code"] == "order_already_canceled"


def test_cancelling_a_precaptured_order_refunds_it(shop):
    placed = endless_aisle(shop)
    order_id = placed["order_id"]

    cancelled = cancel(shop, placed["order_number"], id_type="external")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["payment_release"]["refunded"] == 244.95  # with the shipping
    order = shop.order(order_id)
    assert order["payment_status_label"] == "Refunded"
    assert {item["status_label"] for item in order["items"]} == {"Cancelled"}
    events = shop.wait_events(order_id, 5)
    assert names(events)[3:] == ["order.cancelled", "payment_account.amount_refunded"]
    refund = events[4]["payload"]
    assert [t["amount"] for t in refund["transactions"]] == [-244.95]
    assert refund["instruments"][0]["payment_method"] == "credit_card"


def test_cancelled_cash_stays_captured_for_a_manual_refund(shop):
    shop.capabilities(cash_for_endless_aisle_orders_enabled=True)
    placed = endless_aisle(shop, payments=[{"method": "cash"}], quantity=1)

    cancelled = cancel(shop, placed["order_id"])

    assert cancelled.json()["payment_release"] == {
        "state": "succeeded",
        "currency": "USD",
        "revoked": 0.0,
        "refunded": 0.0,
        "unreleased": 124.95,
    }
    order = shop.order(placed["order_id"])
    assert order["payment_status_label"] == "Captured"
    assert order["status_label"] == "Cancelled"


def test_cancelling_one_item_refunds_what_it_cost(shop):
    placed = endless_aisle(shop)
    order_id = placed["order_id"]
    first, second = (item["id"] for item in placed["items"])

    cancelled = shop.api.post(
        f"/v0/orders/{order_id}/items/{first}/cancel",
        params={"id_type": "internal"},
        json={"reason": "One is enough"},
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelable"] is True
    assert cancelled.json()["payment_release"]["refunded"] == 120.0
    order = shop.order(order_id)
    assert order["payment_status_label"] == "Partially Refunded"
    assert [item["status_label"] for item in order["items"]] == ["Cancelled", "Captured"]
    events = shop.wait_events(order_id, 5)
    assert names(events)[3:] == ["order.items_cancelled", "payment_account.amount_refunded"]
    assert events[3]["payload"]["items"] == [{"id": first, "product_id": "boot"}]
    assert events[3]["payload"]["reason"] == "One is enough"

    twice = shop.api.post(
        f"/v0/orders/{order_id}/items/{first}/cancel",
        params={"id_type": "internal"},
        json={"reason": "again"},
    )
    unknown = shop.api.post(
        f"/v0/orders/{order_id}/items/not-an-item/cancel",
        params={"id_type": "internal"},
        json={"reason": "x"},
    )
    assert twice.status_code == 409
    assert twice.json()["error_code"] == "item_not_cancelable"
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "order_item_not_found"

    last = shop.api.post(
        f"/v0/orders/{order_id}/items/{second}/cancel",
        params={"id_type": "internal"},
        json={"reason": "None at all"},
    )
    assert last.json()["payment_release"]["refunded"] == 124.95  # the shipping goes back too
    assert last.json()["canceled"] is True
    assert shop.order(order_id)["payment_status_label"] == "Refunded"


def test_a_handed_over_order_cannot_be_cancelled(shop):
    placed = cash_and_carry(shop, hand_over=True)

    refused = cancel(shop, placed["order_id"])
    item = placed["items"][0]["id"]
    item_refused = shop.api.post(
        f"/v0/orders/{placed['order_id']}/items/{item}/cancel",
        params={"id_type": "internal"},
        json={"reason": "x"},
    )

    assert refused.status_code == 409
    assert refused.json()["error_code"] == "order_not_cancelable"
    assert item_refused.status_code == 409
    assert item_refused.json()["error_code"] == "item_not_cancelable"
    assert shop.order(placed["order_id"])["payment_status_label"] == "Captured"


def test_a_refund_whose_outcome_is_unknown_is_resumed_by_cancelling_again(shop):
    placed = endless_aisle(shop, quantity=1)
    shop.psp.dial("refund", kind="malformed", times=3)

    first = cancel(shop, placed["order_id"])

    assert first.status_code == 200, first.text
    assert first.json()["canceled"] is True
    assert first.json()["payment_release"]["state"] == "unknown"
    assert shop.order(placed["order_id"])["payment_status_label"] == "Captured"

    resumed = cancel(shop, placed["order_id"])

    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["payment_release"]["refunded"] == 124.95
    assert shop.order(placed["order_id"])["payment_status_label"] == "Refunded"
    refunds = shop.psp.calls("refund")
    assert len({call["idempotency_key"] for call in refunds}) == 1


def test_cancelling_the_shipped_item_of_a_mixed_cart_gives_the_shipping_back(shop):
    """The taken tees went home with the customer; the boot will not ship: its price and the
    shipping go back, though the order still has (handed-over) items."""
    cart = shop.cart()
    shop.add(cart["id"], "boot", fulfillment="SHIPPING")
    shop.add(cart["id"], "tee", fulfillment="IN_STORE_HANDOVER", quantity=2)
    shop.ship_to(cart["id"])
    placed = shop.placed(cart["id"], CARD, hand_over=True)
    order_id = placed["order_id"]
    [boot] = [item["id"] for item in placed["items"] if item["product_id"] == "boot"]

    cancelled = shop.api.post(
        f"/v0/orders/{order_id}/items/{boot}/cancel",
        params={"id_type": "internal"},
        json={"reason": "Out of stock at the warehouse"},
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["payment_release"]["refunded"] == 124.95  # 120 + 4.95 shipping
    order = shop.order(order_id)
    assert order["payment_status_label"] == "Partially Refunded"
    assert sorted(item["status_label"] for item in order["items"]) == [
        "Cancelled",
        "Complete",
        "Complete",
    ]
