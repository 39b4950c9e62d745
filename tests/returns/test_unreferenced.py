"""Unreferenced returns: orders whose payment the platform does not hold (found through the
OMS's order-details webhook, or injected), refunded with the method the associate gives —
``external`` records the refund for the OMS to pay out; and blind returns."""

from __future__ import annotations

from typing import Any

from tests.returns.conftest import STORE, assert_problem, on_hand, use_oms_orders
from tests.support.order_webhook import OrderWebhook, external_order, item


def oms_order(webhook: OrderWebhook, number: str, units: int = 1) -> dict[str, Any]:
    order = external_order(
        number,
        items=[
            item(f"{number}-{index}", product_id="1000062", gross=50.0, tax=5.0)
            for index in range(units)
        ],
    )
    webhook.orders.append(order)
    return order


def test_an_oms_order_is_returned_with_the_external_refund(
    api, store, webhook: OrderWebhook, events
):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-100", units=2)
    before = on_hand(api, "1000062")

    response = api.post(
        "/v0/d/orders/GD-100/returns",
        json={
            "items": [{"product_id": "1000062", "reason": "Damaged", "restock": False}],
            "returned_from": STORE,
            "refund_method": "external",
            "associate_id": "assoc-3",
        },
    )

    assert response.status_code == 201, response.text
    taken = response.json()
    assert taken["kind"] == "unreferenced"
    assert taken["origin"] == "external"
    assert taken["order_id"] is None
    assert taken["order_number"] == "GD-100"
    assert taken["customer_email"] == "jane@example.com"
    assert taken["total_refund_amount"] == 50.0
    assert taken["refund"] == {
        "id": taken["refund"]["id"],
        "method": "external",
        "status": "refunded",
        "amount": 50.0,
        "refunded_amount": 50.0,
        "payment_account_id": taken["return_order_id"],
        "attempt": 1,
        "error_code": None,
        "message": None,
    }
    assert taken["items"][0]["order_item_id"] == "GD-100-0"
    assert on_hand(api, "1000062") == before  # damaged: not back in stock

    processed = events.wait("return.processed")[0]["payload"]
    assert processed["order_id"] == "GD-100"
    assert processed["items"][0]["id"] == "GD-100-0"
    issued = events.wait("refund_request.issued")[0]["payload"]
    assert issued["order_id"] == "GD-100"
    assert issued["payment_account_id"] == taken["return_order_id"]
    assert issued["amount"] == 50.0
    refunded = events.wait("payment_account.amount_refunded")[0]["payload"]
    assert refunded["id"] == taken["return_order_id"]
    assert refunded["order_id"] == "GD-100"
    assert refunded["transactions"][0]["amount"] == -50.0
    assert refunded["instruments"] == [
        {
            "id": f"{taken['return_order_id']}.external",
            "payment_method": "external",
            "payment_wallet": None,
            "payment_provider": "external",
        }
    ]

    # The second unit, then nothing more: the OMS's units are returnable once.
    second = api.post(
        "/v0/d/orders/GD-100/returns",
        json={
            "items": [{"item_id": "GD-100-1"}],
            "returned_from": STORE,
            "refund_method": "external",
        },
    )
    assert second.status_code == 201, second.text
    assert on_hand(api, "1000062") == before + 1
    assert_problem(
        api.post(
            "/v0/d/orders/GD-100/returns",
            json={
                "items": [{"product_id": "1000062"}],
                "returned_from": STORE,
                "refund_method": "external",
            },
        ),
        409,
        "return_quantity_exceeded",
    )
    listed = api.get("/v0/d/orders/GD-100/returns").json()["returns"]
    assert [r["items"][0]["order_item_id"] for r in listed] == ["GD-100-0", "GD-100-1"]


def test_the_return_order_is_a_new_order_of_the_platform(api, store, webhook: OrderWebhook):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-101")
    taken = api.post(
        "/v0/d/orders/GD-101/returns",
        json={
            "items": [{"product_id": "1000062"}],
            "returned_from": STORE,
            "refund_method": "external",
        },
    ).json()
    # The OMS does not know the return's order: it is read from the platform by its UUID.
    created = api.get(f"/v0/orders/{taken['return_order_id']}", params={"id_type": "internal"})
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == "closed"
    assert body["customer"]["email"] == "jane@example.com"
    assert body["items"][0]["id"] == "GD-101-0"
    assert {"name": "returned_order", "value": "GD-101"} in body["extended_attributes"]
    # The customer's history in the platform now counts it: counts no longer match the OMS.
    switched = api.patch("/v0/config/associate_app", json={"use_new_om_ui": False})
    assert switched.status_code == 200
    history = api.get("/v0/orders", params={"customer_email": "jane@example.com"}).json()
    assert [order["id"] for order in history["orders"]] == [taken["return_order_number"]]


def test_unreferenced_returns_need_an_offered_method_that_is_not_original(
    api, store, webhook: OrderWebhook
):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-102")
    url = "/v0/d/orders/GD-102/returns"
    line = {"items": [{"product_id": "1000062"}], "returned_from": STORE}
    required = assert_problem(api.post(url, json=line), 400, "refund_method_required")
    assert "external" in required["offered"]
    assert_problem(
        api.post(url, json={**line, "refund_method": "original"}),
        400,
        "refund_method_not_applicable",
    )
    assert api.put("/v0/config/payment", json={"refund_options": ["original"]}).status_code == 200
    assert_problem(
        api.post(url, json={**line, "refund_method": "external"}), 400, "refund_option_not_offered"
    )
    assert api.get("/v0/d/orders/GD-102/returns").status_code == 404


def test_refund_options_of_the_store_come_before_the_global_ones(api, store, webhook: OrderWebhook):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-103", units=2)
    configured = api.put(
        "/v0/config/payment",
        json={
            "refund_options": ["original", "external"],
            "store_mapping": {"store-nyc": {"refund_options": ["gift_card"]}},
        },
    )
    assert configured.status_code == 200, configured.text
    line = {"items": [{"product_id": "1000062"}], "refund_method": "external"}
    refused = assert_problem(
        api.post("/v0/d/orders/GD-103/returns", json={**line, "returned_from": "US01"}),
        400,
        "refund_option_not_offered",
    )
    assert refused["offered"] == ["gift_card"]
    # US02 has no store mapping of its own: the global options apply.
    accepted = api.post("/v0/d/orders/GD-103/returns", json={**line, "returned_from": "US02"})
    assert accepted.status_code == 201, accepted.text
    # Without any configuration every option is offered (NewStore's default for returns).
    assert api.put("/v0/config/payment", json={}).status_code == 200
    default = api.post("/v0/d/orders/GD-103/returns", json={**line, "returned_from": "US01"})
    assert default.status_code == 201, default.text


def test_an_order_neither_the_platform_nor_the_oms_knows_is_not_found(
    api, store, webhook: OrderWebhook
):
    body = {
        "items": [{"product_id": "1000062"}],
        "returned_from": STORE,
        "refund_method": "external",
    }
    assert_problem(api.post("/v0/d/orders/NOPE/returns", json=body), 404, "order_not_found")
    use_oms_orders(api, webhook)
    assert_problem(api.post("/v0/d/orders/NOPE/returns", json=body), 404, "order_not_found")
    assert webhook.recorded()[-1].path == "/oms/orders/NOPE"


def test_a_failing_oms_is_503_and_records_nothing(api, store, webhook: OrderWebhook):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-104")
    webhook.mode, webhook.status = "status", 502
    body = {
        "items": [{"product_id": "1000062"}],
        "returned_from": STORE,
        "refund_method": "external",
    }
    assert_problem(api.post("/v0/d/orders/GD-104/returns", json=body), 503, "external_server_error")
    webhook.mode = "ok"
    assert api.post("/v0/d/orders/GD-104/returns", json=body).status_code == 201


def test_lines_are_checked_against_the_order_and_the_store(api, store, webhook: OrderWebhook):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-105")
    url = "/v0/d/orders/GD-105/returns"
    base = {"returned_from": STORE, "refund_method": "external"}
    assert_problem(
        api.post(url, json={**base, "items": [{"product_id": "nope"}]}), 400, "item_not_in_order"
    )
    assert_problem(
        api.post(url, json={**base, "items": [{"product_id": "1000062"}], "returned_from": "XX"}),
        400,
        "unknown_return_location",
    )
    for bad in (
        {**base, "items": []},
        {**base, "items": [{}]},
        {**base, "items": [{"item_id": "GD-105-0", "quantity": 2}]},
        {**base, "items": [{"product_id": "1000062", "quantity": 0}]},
        {**base, "items": [{"product_id": "1000062", "surprise": 1}]},
        {"items": [{"product_id": "1000062"}], "refund_method": "external"},
        {**base, "items": [{"product_id": "1000062"}], "refund_method": "bitcoin"},
        {**base, "items": [{"product_id": "1000062", "reason_code": 2**31}]},
    ):
        assert_problem(api.post(url, json=bad), 400, "invalid_request")
    assert api.get(url).status_code == 404


def test_condition_codes_follow_the_quality_inspection_options(
    api, store, webhook: OrderWebhook, events
):
    use_oms_orders(api, webhook)
    oms_order(webhook, "GD-106", units=2)
    options = {"quality_inspection_options": [{"code": "1", "option": "Sellable"}]}
    patched = api.patch("/v0/config/associate_app", json={"return_process_configuration": options})
    assert patched.status_code == 200, patched.text
    base = {"returned_from": STORE, "refund_method": "external"}
    assert_problem(
        api.post(
            "/v0/d/orders/GD-106/returns",
            json={**base, "items": [{"product_id": "1000062", "condition_code": "9"}]},
        ),
        400,
        "unknown_condition_code",
    )
    taken = api.post(
        "/v0/d/orders/GD-106/returns",
        json={**base, "items": [{"product_id": "1000062", "condition_code": "1"}]},
    ).json()
    assert taken["items"][0]["item_condition"] == "Sellable"
    sent = events.wait("return.processed")[0]["payload"]["items"][0]
    assert (sent["item_condition"], sent["condition_code"]) == ("Sellable", 1)


def test_blind_returns_only_when_enabled(api, store, events):
    line: dict[str, Any] = {"product_id": "1000061", "price": 19.99, "tax": 1.82, "quantity": 2}
    body = {
        "items": [line],
        "returned_from": STORE,
        "currency": "USD",
        "refund_method": "external",
        "customer_email": "walk-in@example.com",
    }
    assert_problem(api.post("/v0/d/returns", json=body), 412, "blind_return_not_enabled")
    enabled = api.patch(
        "/v0/config/associate_app",
        json={"return_process_configuration": {"blind_return_enabled": True}},
    )
    assert enabled.status_code == 200, enabled.text
    assert_problem(
        api.post("/v0/d/returns", json={**body, "refund_method": "original"}),
        400,
        "refund_method_not_applicable",
    )
    for price in (1e17, 100_000_000_000.01):
        refused = api.post("/v0/d/returns", json={**body, "items": [{**line, "price": price}]})
        assert_problem(refused, 400, "invalid_amount")
    before = on_hand(api, "1000061")

    response = api.post("/v0/d/returns", json=body)

    assert response.status_code == 201, response.text
    taken = response.json()
    assert taken["kind"] == "blind"
    assert taken["total_refund_amount"] == 39.98
    assert taken["refund"]["status"] == "refunded"
    assert on_hand(api, "1000061") == before + 2
    created = api.get(f"/v0/orders/{taken['return_order_id']}", params={"id_type": "internal"})
    assert created.json()["status"] == "created_for_blind_return"
    assert response.headers["location"] == (
        f"/v0/d/orders/{taken['return_order_id']}/returns/{taken['id']}"
    )
    assert api.get(response.headers["location"]).json() == taken
    assert events.wait("return.processed")[0]["payload"]["order_id"] == taken["return_order_id"]


def assert_kept_whole(api, response, product_id: str, customer_id: str) -> None:
    """The return and the return's order keep the long ids whole."""
    assert response.status_code == 201, response.text
    taken = response.json()
    assert taken["customer_id"] == customer_id
    assert taken["items"][0]["product_id"] == product_id
    created = api.get(f"/v0/orders/{taken['return_order_id']}", params={"id_type": "internal"})
    assert created.status_code == 200, created.text
    assert created.json()["items"][0]["product_id"] == product_id
    assert created.json()["customer"]["id"] == customer_id


def test_an_oms_order_of_the_longest_product_id_a_return_accepts_is_returned_whole(
    api, store, webhook: OrderWebhook
):
    product_id, customer_id = "p" * 255, "c" * 256
    use_oms_orders(api, webhook)
    webhook.orders.append(
        external_order(
            "GD-107", customer_id=customer_id, items=[item("GD-107-0", product_id=product_id)]
        )
    )

    response = api.post(
        "/v0/d/orders/GD-107/returns",
        json={
            "items": [{"product_id": product_id}],
            "returned_from": STORE,
            "refund_method": "external",
        },
    )

    assert_kept_whole(api, response, product_id, customer_id)


def test_an_oms_order_with_texts_longer_than_a_return_keeps_is_a_malformed_answer(
    api, store, webhook: OrderWebhook, events
):
    use_oms_orders(api, webhook)
    too_long = external_order("GD-108", items=[item("GD-108-0", product_id="1000062")])
    too_long["items"][0]["product_attributes"]["name"] = "n" * 513
    too_long["customer"]["name"] = "c" * 129
    too_long["items"][0]["origin_id"] = "GD-108-\x00"
    webhook.orders.append(too_long)
    before = on_hand(api, "1000062")

    response = api.post(
        "/v0/d/orders/GD-108/returns",
        json={"items": [{"product_id": "1000062"}], "returned_from": STORE},
    )

    body = assert_problem(response, 409, "conflict")
    assert any("product_attributes.name" in message for message in body["messages"])
    assert any("customer.name" in message for message in body["messages"])
    assert any("items.0.origin_id" in message for message in body["messages"])
    assert api.get("/v0/d/orders/GD-108/returns").status_code == 404
    assert on_hand(api, "1000062") == before


def test_a_blind_return_keeps_the_longest_product_and_customer_ids_it_accepts(api, store):
    product_id, customer_id = "p" * 255, "c" * 256
    enabled = api.patch(
        "/v0/config/associate_app",
        json={"return_process_configuration": {"blind_return_enabled": True}},
    )
    assert enabled.status_code == 200, enabled.text

    response = api.post(
        "/v0/d/returns",
        json={
            "items": [{"product_id": product_id, "price": 10.0, "quantity": 1}],
            "returned_from": STORE,
            "currency": "USD",
            "refund_method": "external",
            "customer_id": customer_id,
        },
    )

    assert_kept_whole(api, response, product_id, customer_id)
