"""Referenced returns: an order the platform took the payment of is refunded against that
payment, through the payment provider (the sandbox PSP over HTTP) or in cash."""

from __future__ import annotations

from tests.returns.conftest import STORE, assert_problem, on_hand, use_oms_orders
from tests.support.order_webhook import OrderWebhook, external_order, item
from tests.support.paid_orders import place_paid
from tests.support.placed_orders import cash_and_carry


def two_dresses(tenant: str, number: str, **extra):
    return cash_and_carry(
        tenant,
        number,
        customer_id="c-1",
        customer_email="jane@example.com",
        products=("1000061", "1000061"),
        **extra,
    )


def test_a_card_order_is_refunded_against_its_payment(platform, tenant, api, paying, events):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-1"), [("credit_card", 17600, "tok_visa")]
    )
    before = on_hand(api, "1000061")

    response = api.post(
        f"/v0/d/orders/{order.number}/returns",
        json={
            "items": [{"product_id": "1000061", "reason": "Too small", "reason_code": 3}],
            "returned_from": STORE,
            "associate_id": "assoc-17",
        },
    )

    assert response.status_code == 201, response.text
    taken = response.json()
    assert response.headers["location"] == f"/v0/d/orders/{order.number}/returns/{taken['id']}"
    assert taken["kind"] == "referenced"
    assert taken["origin"] == "newstore"
    assert taken["order_id"] == order.id
    assert taken["total_refund_amount"] == 88.0
    assert taken["total_refund_tax"] == 8.0
    assert taken["refund"]["method"] == "original"
    assert taken["refund"]["status"] == "refunded"
    assert taken["refund"]["refunded_amount"] == 88.0
    assert taken["refund"]["payment_account_id"] == order.id
    assert [i["order_item_id"] for i in taken["items"]] == [order.item_ids[0]]

    refunds = [call for call in paying.calls("refund") if call["status"] == 200]
    assert len(refunds) == 1
    assert refunds[0]["path"] == f"/financial_instruments/{order.instrument_ids[0]}/refund"
    assert refunds[0]["request"]["amount"] == 88.0

    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert [i["status"] for i in original["items"]] == ["returned", "complete"]
    assert original["payment_status"] == "partially_refunded"

    created = api.get(f"/v0/orders/{taken['return_order_id']}", params={"id_type": "internal"})
    assert created.status_code == 200
    return_order = created.json()
    assert return_order["id"] == taken["return_order_number"]
    assert [i["status"] for i in return_order["items"]] == ["returned"]
    assert return_order["payment_status"] == "refunded"
    assert {"name": "return_id", "value": taken["id"]} in return_order["extended_attributes"]

    assert on_hand(api, "1000061") == before + 1

    processed = events.wait("return.processed")[0]["payload"]
    assert processed["id"] == taken["id"]
    assert processed["order_id"] == order.id
    assert processed["return_location_id"] == STORE
    assert processed["total_refund_amount"] == 88.0
    assert processed["total_refund_excl_tax"] == 80.0
    assert processed["associate_id"] == "assoc-17"
    assert processed["items"][0]["id"] == order.item_ids[0]
    assert processed["items"][0]["return_reason"] == "Too small"
    assert processed["items"][0]["return_code"] == 3
    issued = events.wait("refund_request.issued")[0]["payload"]
    assert issued["payment_account_id"] == order.id
    assert issued["amount"] == 88.0
    refunded = events.wait("payment_account.amount_refunded")[0]["payload"]
    assert refunded["id"] == order.id
    assert refunded["transactions"][0]["amount"] == -88.0
    assert refunded["instruments"][0]["payment_method"] == "credit_card"

    listed = api.get(f"/v0/d/orders/{order.id}/returns").json()["returns"]
    assert [r["id"] for r in listed] == [taken["id"]]
    one = api.get(f"/v0/d/orders/{order.number}/returns/{taken['id']}")
    assert one.status_code == 200
    assert one.json() == taken


def test_the_second_unit_can_come_back_later_but_not_a_third(platform, tenant, api, paying):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-2"), [("credit_card", 17600, "tok_visa")]
    )
    body = {"items": [{"product_id": "1000061"}], "returned_from": STORE}
    assert api.post(f"/v0/d/orders/{order.id}/returns", json=body).status_code == 201
    assert api.post(f"/v0/d/orders/{order.id}/returns", json=body).status_code == 201
    third = assert_problem(
        api.post(f"/v0/d/orders/{order.id}/returns", json=body), 409, "return_quantity_exceeded"
    )
    assert (third["bought"], third["returnable"]) == (2, 0)
    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert original["payment_status"] == "refunded"
    assert len(api.get(f"/v0/d/orders/{order.id}/returns").json()["returns"]) == 2


def test_a_return_larger_than_what_was_bought_is_refused_and_changes_nothing(
    platform, tenant, api, paying, events
):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-3"), [("credit_card", 17600, "tok_visa")]
    )
    before = on_hand(api, "1000061")
    refused = assert_problem(
        api.post(
            f"/v0/d/orders/{order.id}/returns",
            json={"items": [{"product_id": "1000061", "quantity": 3}], "returned_from": STORE},
        ),
        409,
        "return_quantity_exceeded",
    )
    assert (refused["requested"], refused["bought"]) == (3, 2)
    assert api.get(f"/v0/d/orders/{order.id}/returns").json() == {"returns": []}
    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert [i["status"] for i in original["items"]] == ["complete", "complete"]
    assert original["payment_status"] == "captured"
    assert on_hand(api, "1000061") == before
    assert paying.calls("refund") == []
    assert events.named("return.processed") == []


def test_a_cash_order_is_refunded_in_cash_without_the_provider(platform, tenant, api, paying):
    order = place_paid(platform, two_dresses(tenant.tenant, "CW-4"), [("cash", 17600, None)])
    response = api.post(
        f"/v0/d/orders/{order.id}/returns",
        json={"items": [{"item_id": order.item_ids[1]}], "returned_from": STORE},
    )
    assert response.status_code == 201, response.text
    assert response.json()["refund"]["status"] == "refunded"
    assert response.json()["items"][0]["order_item_id"] == order.item_ids[1]
    assert paying.calls("refund") == []


def test_a_refund_that_fails_leaves_the_return_recorded_and_can_be_retried(
    platform, tenant, api, paying, events
):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-5"), [("credit_card", 17600, "tok_visa")]
    )
    paying.dial("refund", kind="error", status=500, times=1)

    response = api.post(
        f"/v0/d/orders/{order.id}/returns",
        json={"items": [{"product_id": "1000061"}], "returned_from": STORE},
    )

    assert response.status_code == 201, response.text
    taken = response.json()
    assert taken["refund"]["status"] == "failed"
    assert taken["refund"]["error_code"] == "internal_error"
    assert taken["refund"]["refunded_amount"] == 0.0
    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert original["items"][0]["status"] == "returned"
    assert original["payment_status"] == "captured"
    events.wait("return.processed")

    retried = api.post(f"/v0/d/orders/{order.id}/returns/{taken['id']}/refund")
    assert retried.status_code == 200, retried.text
    assert retried.json()["refund"]["status"] == "refunded"
    assert retried.json()["refund"]["attempt"] == 2
    again = api.post(f"/v0/d/orders/{order.id}/returns/{taken['id']}/refund")
    assert again.json()["refund"]["status"] == "refunded"
    done = [call for call in paying.calls("refund") if call["status"] == 200]
    assert len(done) == 1
    assert (
        api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()["payment_status"]
        == "partially_refunded"
    )
    assert len(events.wait("payment_account.amount_refunded")) == 1


def test_an_oms_order_from_the_platform_is_returned_as_referenced(
    platform, tenant, api, paying, webhook: OrderWebhook
):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-6"), [("credit_card", 17600, "tok_visa")]
    )
    use_oms_orders(api, webhook)
    webhook.orders.append(
        external_order(
            "GD-6",
            origin="newstore",
            origin_id=order.id,
            items=[item("x-1", origin_id=order.item_ids[0])],
        )
    )
    response = api.post(
        "/v0/d/orders/GD-6/returns",
        json={"items": [{"product_id": "1000061"}], "returned_from": STORE},
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "referenced"
    assert response.json()["order_id"] == order.id
    assert response.json()["refund"]["status"] == "refunded"


def test_referenced_returns_refuse_the_external_method_and_options_not_offered(
    platform, tenant, api, paying
):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-7"), [("credit_card", 17600, "tok_visa")]
    )
    url = f"/v0/d/orders/{order.id}/returns"
    line = {"items": [{"product_id": "1000061"}], "returned_from": STORE}
    assert_problem(
        api.post(url, json={**line, "refund_method": "external"}),
        400,
        "refund_method_not_applicable",
    )
    assert_problem(
        api.post(url, json={**line, "refund_method": "e_gift_card"}),
        400,
        "refund_option_not_offered",
    )
    assert_problem(
        api.post(url, json={**line, "refund_method": "gift_card"}),
        400,
        "refund_method_not_supported",
    )
    assert api.get(url).json() == {"returns": []}


def test_an_order_without_a_payment_in_the_platform_cannot_be_refunded_to_it(
    platform, tenant, api, paying
):
    from tests.support.placed_orders import place

    placed = place(platform, two_dresses(tenant.tenant, "CW-8"))
    assert_problem(
        api.post(
            f"/v0/d/orders/{placed.id}/returns",
            json={"items": [{"product_id": "1000061"}], "returned_from": STORE},
        ),
        409,
        "no_original_payment",
    )


def test_an_unknown_refund_outcome_is_pending_and_repeated_with_the_same_key(
    platform, tenant, api, paying
):
    order = place_paid(
        platform, two_dresses(tenant.tenant, "CW-9"), [("credit_card", 17600, "tok_visa")]
    )
    # The refund happens at the PSP, but every answer is garbage: the outcome is unknown.
    paying.dial("refund", kind="malformed", times=3)

    taken = api.post(
        f"/v0/d/orders/{order.id}/returns",
        json={"items": [{"product_id": "1000061"}], "returned_from": STORE},
    ).json()

    assert taken["refund"]["status"] == "pending"
    assert taken["refund"]["refunded_amount"] == 0.0
    keys = {call["idempotency_key"] for call in paying.calls("refund")}
    assert len(keys) == 1

    assert paying.admin("DELETE", "/faults").status_code == 204
    retried = api.post(f"/v0/d/orders/{order.id}/returns/{taken['id']}/refund").json()

    assert retried["refund"]["status"] == "refunded"
    assert retried["refund"]["attempt"] == 1
    assert {call["idempotency_key"] for call in paying.calls("refund")} == keys
    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert original["payment_status"] == "partially_refunded"


def test_an_endless_aisle_item_the_oms_delivered_can_be_returned(platform, tenant, api, paying):
    from dataclasses import replace

    from cashwrap.orders.service import ItemDraft
    from cashwrap.orders.states import FulfilledBy, ItemStatus

    draft = cash_and_carry(tenant.tenant, "CW-10")
    shipped = ItemDraft(
        product_id="1000062",
        shipping_service_level="Priority",
        fulfilled_by=FulfilledBy.EXTERNAL_OMS,
        list_price=5000,
        price=5000,
        tax=0,
        status=ItemStatus.IN_FULFILLMENT,
    )
    draft = replace(draft, fulfillment_type="multiple", items=[*draft.items, shipped])
    order = place_paid(platform, draft, [("credit_card", 13800, "tok_visa")])

    response = api.post(
        f"/v0/d/orders/{order.id}/returns",
        json={"items": [{"product_id": "1000062"}], "returned_from": STORE},
    )

    assert response.status_code == 201, response.text
    assert response.json()["total_refund_amount"] == 50.0
    original = api.get(f"/v0/orders/{order.id}", params={"id_type": "internal"}).json()
    assert [i["status"] for i in original["items"]] == ["complete", "returned"]


def test_handing_over_a_returned_order_again_answers_it_as_it_is(platform, tenant, api, paying):
    """Returned is not cancelled: the hand-over (repeated by the Associate App) says what the
    order is, not that it was cancelled."""
    order = place_paid(platform, two_dresses(tenant.tenant, "CW-6"), [("cash", 17600, None)])
    returned = api.post(
        f"/v0/d/orders/{order.id}/returns",
        json={
            "items": [{"item_id": item_id} for item_id in order.item_ids],
            "returned_from": STORE,
        },
    )
    assert returned.status_code == 201, returned.text

    again = api.post(f"/v0/orders/{order.id}/handover", params={"id_type": "internal"})

    assert again.status_code == 200, again.text
    assert again.json()["handed_over"] == []
