"""Mixed carts: some items taken now, some shipped — one pre-captured order."""

from __future__ import annotations


def names(events):
    return [event["name"] for event in events]


def mixed_cart(shop):
    cart = shop.cart()
    shipped = shop.add(cart["id"], "boot", fulfillment="SHIPPING")
    taken = shop.add(cart["id"], "tee", fulfillment="IN_STORE_HANDOVER", quantity=2)
    shop.ship_to(cart["id"])
    return cart, shipped, taken


def test_a_mixed_cart_reads_partially_complete_captured_with_each_items_label(shop):
    cart, _, _ = mixed_cart(shop)

    placed = shop.placed(
        cart["id"], [{"method": "credit_card", "token": "tok_visa"}], hand_over=True
    )

    order_id = placed["order_id"]
    assert placed["cart_type"] == "mixed_cart"
    assert placed["fulfillment_type"] == "multiple"
    assert placed["total"] == 164.93  # 120 + 2 × 19.99 + 4.95 shipping
    order = shop.order(order_id)
    assert (order["status_label"], order["payment_status_label"]) == (
        "Partially Complete",
        "Captured",
    )
    labels = {(item["product_id"], item["status_label"]) for item in order["items"]}
    assert labels == {("boot", "Captured"), ("tee", "Complete")}
    events = shop.wait_events(order_id, 3)
    assert names(events) == [
        "order.created",
        "payment_account.amount_authorized",
        "payment_account.amount_captured",
    ]
    created = events[0]["payload"]
    assert created["fulfillment_type"] == "multiple"
    levels = sorted(item["shipping_service_level"] for item in created["items"])
    assert levels == ["IN_STORE_HANDOVER", "IN_STORE_HANDOVER", "Priority"]
    # No order.completed: the shipped item is the external OMS's to complete.
    assert "order.completed" not in names(shop.quiet())


def test_the_taken_items_of_a_mixed_cart_are_handed_over_later_without_a_second_capture(shop):
    cart, _, _ = mixed_cart(shop)
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    assert placed["status_label"] == "In Fulfillment"
    assert placed["payment_status_label"] == "Captured"

    handed = shop.hand_over(placed["order_id"])

    assert handed.status_code == 200, handed.text
    assert handed.json()["status_label"] == "Partially Complete"
    assert len(handed.json()["handed_over"]) == 2
    assert len(shop.psp.calls("capture")) == 1


def test_a_mixed_cart_is_refused_at_checkout_once_the_store_no_longer_allows_it(shop):
    cart, _, _ = mixed_cart(shop)
    shop.store_mixed_cart(False)

    refused = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert refused.status_code == 409
    assert refused.json()["error_code"] == "mixed_cart_not_allowed"
    assert shop.psp.calls() == []
    assert shop.quiet() == []


def test_cash_pays_for_a_mixed_cart_only_with_the_capability(shop):
    cart, _, _ = mixed_cart(shop)

    refused = shop.checkout(cart["id"], [{"method": "cash"}], hand_over=True)

    assert refused.status_code == 409
    assert refused.json()["error_code"] == "cash_not_allowed"


def test_a_shipped_item_out_of_stock_stops_the_mixed_cart(shop):
    shop.oms.stock.clear()
    cart, shipped, _ = mixed_cart(shop)

    refused = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert refused.status_code == 409
    assert [(p["line_id"], p["error_code"]) for p in refused.json()["problems"]] == [
        (shipped, "quantity_unavailable")
    ]
