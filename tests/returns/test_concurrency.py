"""A unit comes back once, even when two tills return it at the same moment."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import httpx

from tests.returns.conftest import STORE, on_hand, use_oms_orders
from tests.support.order_webhook import OrderWebhook, external_order, item
from tests.support.paid_orders import place_paid
from tests.support.placed_orders import cash_and_carry, place

ROUNDS = 4


def race(clients: list[httpx.Client], url: str, body: dict[str, Any]) -> list[httpx.Response]:
    """POST the same return from every client at once."""
    barrier = threading.Barrier(len(clients))
    answers: list[httpx.Response | None] = [None] * len(clients)

    def send(index: int) -> None:
        barrier.wait()
        answers[index] = clients[index].post(url, json=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def assert_one_wins(answers: list[httpx.Response]) -> None:
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (len(answers) - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error_code"] == "return_quantity_exceeded"


def test_a_unit_of_an_oms_order_returned_twice_at_once_comes_back_once(
    platform, tenant, api, store, webhook: OrderWebhook
):
    use_oms_orders(api, webhook)
    before = on_hand(api, "1000062")
    clients = [platform.client(tenant) for _ in range(3)]
    try:
        for round_ in range(ROUNDS):
            number = f"GD-RACE-{round_}"
            webhook.orders.append(
                external_order(number, items=[item(f"{number}-0", product_id="1000062")])
            )
            body = {
                "items": [{"product_id": "1000062"}],
                "returned_from": STORE,
                "refund_method": "external",
            }
            assert_one_wins(race(clients, f"/v0/d/orders/{number}/returns", body))
            assert len(api.get(f"/v0/d/orders/{number}/returns").json()["returns"]) == 1
    finally:
        for client in clients:
            client.close()
    assert on_hand(api, "1000062") == before + ROUNDS


def test_a_unit_of_a_platform_order_returned_twice_at_once_comes_back_once(
    platform, tenant, api, store
):
    clients = [platform.client(tenant) for _ in range(3)]
    try:
        for round_ in range(ROUNDS):
            # An order the OMS injected for store fulfillment: the platform has its items,
            # the OMS its payment.
            draft = replace(cash_and_carry(tenant.tenant, f"INJ-{round_}"), origin="external")
            placed = place(platform, draft)
            body = {
                "items": [{"product_id": "1000061"}],
                "returned_from": STORE,
                "refund_method": "external",
            }
            assert_one_wins(race(clients, f"/v0/d/orders/{placed.id}/returns", body))
            order = api.get(f"/v0/orders/{placed.id}", params={"id_type": "internal"}).json()
            assert [i["status"] for i in order["items"]] == ["returned"]
    finally:
        for client in clients:
            client.close()


def test_a_paid_unit_returned_twice_at_once_is_refunded_once(platform, tenant, api, paying):
    clients = [platform.client(tenant) for _ in range(3)]
    try:
        for round_ in range(ROUNDS):
            order = place_paid(
                platform,
                cash_and_carry(tenant.tenant, f"CW-RACE-{round_}"),
                [("credit_card", 8800, "tok_visa")],
            )
            body = {"items": [{"product_id": "1000061"}], "returned_from": STORE}
            answers = race(clients, f"/v0/d/orders/{order.id}/returns", body)
            assert_one_wins(answers)
            won = next(a for a in answers if a.status_code == 201).json()
            assert won["refund"]["status"] == "refunded"
            refunds = [
                call
                for call in paying.calls("refund")
                if call["status"] == 200 and order.instrument_ids[0] in call["path"]
            ]
            assert len(refunds) == 1
    finally:
        for client in clients:
            client.close()
