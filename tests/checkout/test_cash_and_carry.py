"""Cash & carry: pay, place, hand over — the seed's statuses and event sequence, and every way a
payment can go wrong."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cashwrap.locations import service as locations
from cashwrap.orders import service as orders
from tests.catalog.zips import products, stock
from tests.checkout.support import STORE, STORE_NODE


def names(events):
    return [event["name"] for event in events]


def test_cash_and_carry_reads_complete_captured_after_hand_over_with_the_seeds_events(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)
    shop.add(cart["id"], "cap")

    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    order_id = placed["order_id"]
    assert placed["order_number"] == "CW-000001"
    assert placed["cart_type"] == "cash_and_carry"
    assert placed["fulfillment_type"] == "in_store_purchase"
    assert placed["total"] == 52.48
    assert (placed["status_label"], placed["payment_status_label"]) == (
        "In Fulfillment",
        "Authorized",
    )
    before = shop.wait_events(order_id, 2)
    assert names(before) == ["payment_account.amount_authorized", "order.created"]

    handed = shop.hand_over(order_id)

    assert handed.status_code == 200, handed.text
    assert len(handed.json()["handed_over"]) == 3
    order = shop.order(order_id)
    assert order["status_label"] == "Complete"
    assert order["payment_status_label"] == "Captured"
    assert [item["status_label"] for item in order["items"]] == ["Complete"] * 3
    assert (order["status"], order["payment_status"]) == ("closed", "captured")
    assert {item["status"] for item in order["items"]} == {"complete"}
    events = shop.wait_events(order_id, 4)
    assert names(events) == [
        "payment_account.amount_authorized",
        "order.created",
        "order.completed",
        "payment_account.amount_captured",
    ]
    authorized, created, completed, captured = (event["payload"] for event in events)
    instrument = f"{order_id}.1"
    assert authorized["order_id"] == order_id
    assert [(t["instrument_id"], t["amount"]) for t in authorized["transactions"]] == [
        (instrument, 52.48)
    ]
    assert authorized["instruments"][0]["payment_method"] == "credit_card"
    assert created["external_id"] == "CW-000001"
    assert created["store_id"] == STORE
    assert created["payment_status"] == "authorized"
    assert {item["shipping_service_level"] for item in created["items"]} == {"IN_STORE_HANDOVER"}
    assert {item["fulfillment_location_id"] for item in created["items"]} == {STORE_NODE}
    assert created["totals"]["total"] == 52.48
    assert created["payments"][0]["type"] == "authorized"
    assert completed["status"] == "closed"
    assert completed["fulfillment_location_id"] == STORE_NODE
    assert [(t["instrument_id"], t["amount"]) for t in captured["transactions"]] == [
        (instrument, 52.48)
    ]
    assert [call["operation"] for call in shop.psp.calls()] == ["create_instrument", "capture"]
    clocks = [(e["name"], e["payload"]["logical_timestamp"]) for e in events]
    assert clocks == [
        ("payment_account.amount_authorized", 1),
        ("order.created", 1),
        ("order.completed", 2),
        ("payment_account.amount_captured", 2),
    ]

    again = shop.hand_over(order_id)
    assert again.status_code == 200
    assert again.json()["handed_over"] == []
    assert len(shop.psp.calls("capture")) == 1


def test_handing_over_at_checkout_places_a_complete_captured_order_and_takes_stock(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=3)

    placed = shop.placed(cart["id"], [{"method": "cash", "amount": 59.97}], hand_over=True)

    assert placed["handed_over"] is True
    assert (placed["status_label"], placed["payment_status_label"]) == ("Complete", "Captured")
    assert {item["status_label"] for item in placed["items"]} == {"Complete"}
    assert names(shop.wait_events(placed["order_id"], 4)) == [
        "payment_account.amount_authorized",
        "order.created",
        "order.completed",
        "payment_account.amount_captured",
    ]
    assert shop.psp.calls() == []  # cash needs no provider

    async def on_hand(database, http):
        async with database.transaction() as session:
            return await locations.on_hand(session, shop.tenant, STORE_NODE, "tee")

    assert shop.run(on_hand) == 7


def test_a_declined_card_leaves_no_order_and_no_event(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")

    declined = shop.checkout(
        cart["id"], [{"method": "credit_card", "token": "tok_instrument_error"}]
    )

    assert declined.status_code == 402
    problem = declined.json()
    assert problem["error_code"] == "payment_declined"
    assert problem["payment"]["provider_error_code"] == "instrument_error"
    assert shop.api.get("/v0/orders/CW-000001", params={"id_type": "external"}).status_code == 404
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "open"
    assert shop.quiet() == []

    # The associate asks for another card: a new checkout (new key) goes through.
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    assert placed["payment_status"] == "authorized"


def test_a_decline_of_the_second_payment_gives_the_first_back(shop):
    cart = shop.cart()
    shop.add(cart["id"], "boot", fulfillment="IN_STORE_HANDOVER")

    declined = shop.checkout(
        cart["id"],
        [
            {"method": "credit_card", "amount": 100, "token": "tok_visa"},
            {"method": "gift_card", "amount": 20, "token": "tok_fraud_error"},
        ],
    )

    assert declined.status_code == 402
    assert declined.json()["payment"]["provider_error_code"] == "fraud_error"
    calls = [(call["operation"], call["status"]) for call in shop.psp.calls()]
    assert calls == [("create_instrument", 200), ("create_instrument", 402), ("revoke", 200)]
    assert shop.quiet() == []
    # Money moved and was given back, so the answer is kept for the key.
    repeated = shop.checkout(
        cart["id"],
        [
            {"method": "credit_card", "amount": 100, "token": "tok_visa"},
            {"method": "gift_card", "amount": 20, "token": "tok_fraud_error"},
        ],
        key=shop.keys[-1],
    )
    assert repeated.status_code == 402
    assert repeated.headers["idempotent-replayed"] == "true"
    assert len(shop.psp.calls()) == 3


def test_a_provider_failure_leaves_no_order_and_the_same_key_may_be_retried(shop):
    cart = shop.cart()
    shop.add(cart["id"], "cap")
    shop.psp.dial("create_instrument", kind="error", status=500, times=1)

    failed = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert failed.status_code == 503
    assert failed.json()["error_code"] == "payment_provider_unavailable"
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "open"

    retried = shop.checkout(
        cart["id"], [{"method": "credit_card", "token": "tok_visa"}], key=shop.keys[-1]
    )
    assert retried.status_code == 201, retried.text
    assert names(shop.wait_events(retried.json()["order_id"], 2)) == [
        "payment_account.amount_authorized",
        "order.created",
    ]


def test_an_unknown_payment_outcome_is_never_treated_as_paid_and_the_same_key_resumes(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    # The authorization happens at the provider, but its answers are garbled three times.
    shop.psp.dial("create_instrument", kind="malformed", times=3)
    payment = [{"method": "credit_card", "token": "tok_visa"}]

    unknown = shop.checkout(cart["id"], payment)

    assert unknown.status_code == 503
    assert unknown.json()["error_code"] == "payment_outcome_unknown"
    assert shop.quiet() == []
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "checking_out"
    other_key = shop.checkout(cart["id"], payment)
    assert other_key.status_code == 409
    assert other_key.json()["error_code"] == "cart_checkout_in_progress"

    resumed = shop.checkout(cart["id"], payment, key=shop.keys[0])

    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["payment_status"] == "authorized"
    authorizations = shop.psp.calls("create_instrument")
    assert {call["idempotency_key"] for call in authorizations} == {
        f"{resumed.json()['order_id']}.1:authorize"
    }
    assert [call["replayed"] for call in authorizations][-1] is True
    instrument = shop.psp.client().get(f"/financial_instruments/{resumed.json()['order_id']}.1")
    assert instrument.json()["instrument"]["authorized_amount"] == 19.99


@pytest.mark.parametrize(
    "payment",
    [
        {"method": "credit_card", "token": "tok_visa"},  # claimed, paid, placed: 2 transactions
        {"method": "cash"},  # nothing to ask another system: one transaction
    ],
    ids=["card", "cash"],
)
def test_a_checkout_submitted_twice_at_once_makes_one_order_and_one_answer(shop, payment):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    key = "double-submit-1"

    def submit(_):
        response = shop.platform.client(shop.credentials).post(
            f"/checkout/carts/{cart['id']}/checkout",
            json={"payments": [payment]},
            headers={"Idempotency-Key": key},
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(submit, range(4)))

    assert {status for status, _ in answers} == {201}
    assert len({body["order_id"] for _, body in answers}) == 1
    order_id = answers[0][1]["order_id"]
    assert [body for _, body in answers] == [answers[0][1]] * 4
    created = [e for e in shop.quiet(1.0) if e["name"] == "order.created"]
    assert [e["payload"]["id"] for e in created] == [order_id]
    fresh = [call for call in shop.psp.calls("create_instrument") if not call["replayed"]]
    assert len(fresh) == (1 if payment["method"] == "credit_card" else 0)


def test_a_repeated_checkout_answers_the_same_and_a_reused_key_is_refused(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    first = shop.checkout(cart["id"], [{"method": "cash"}], key="k-1")
    assert first.status_code == 201

    repeated = shop.checkout(cart["id"], [{"method": "cash"}], key="k-1")
    reused = shop.checkout(cart["id"], [{"method": "cash", "amount": 19.99}], key="k-1")
    other_key = shop.checkout(cart["id"], [{"method": "cash"}], key="k-2")

    assert repeated.status_code == 201
    assert repeated.json() == first.json()
    assert repeated.headers["idempotent-replayed"] == "true"
    assert repeated.headers["location"] == first.headers["location"]
    assert reused.status_code == 409
    assert reused.json()["error_code"] == "idempotency_key_reused"
    assert other_key.status_code == 409
    assert other_key.json()["error_code"] == "cart_checked_out"
    assert other_key.json()["order_id"] == first.json()["order_id"]


def test_checkout_is_refused_while_the_platform_does_not_accept_orders(shop):
    shop.configure("sales_order", {"enabled": False})
    cart = shop.cart()
    shop.add(cart["id"], "tee")

    refused = shop.checkout(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])

    assert refused.status_code == 412
    assert refused.json()["error_code"] == "sales_orders_disabled"
    assert shop.psp.calls() == []
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "open"


def test_payments_must_add_up_to_the_total_and_may_be_split(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    shop.add(cart["id"], "cap")

    short = shop.checkout(cart["id"], [{"method": "cash", "amount": 20}])
    too_precise = shop.checkout(cart["id"], [{"method": "cash", "amount": 32.489}])
    no_key = shop.api.post(
        f"/checkout/carts/{cart['id']}/checkout", json={"payments": [{"method": "cash"}]}
    )
    empty = shop.api.post(
        f"/checkout/carts/{shop.cart()['id']}/checkout",
        json={"payments": [{"method": "cash"}]},
        headers={"Idempotency-Key": "empty-cart"},
    )

    assert short.status_code == 400
    assert short.json()["error_code"] == "payment_amount_mismatch"
    assert short.json()["total"] == 32.49
    assert too_precise.status_code == 400
    assert too_precise.json()["error_code"] == "invalid_currency_decimals"
    assert no_key.status_code == 400
    assert no_key.json()["error_code"] == "idempotency_key_required"
    assert empty.status_code == 409
    assert empty.json()["error_code"] == "cart_empty"

    split = shop.placed(
        cart["id"],
        [
            {"method": "cash", "amount": 10},
            {"method": "credit_card", "amount": 22.49, "token": "tok_visa"},
        ],
        hand_over=True,
    )
    assert [(p["method"], p["amount"], p["captured"]) for p in split["payments"]] == [
        ("cash", 10.0, True),
        ("credit_card", 22.49, True),
    ]
    account = shop.api.get(f"/v0/payment_accounts/{split['order_id']}").json()
    assert (account["status"], account["captured"], account["balance"]) == (
        "captured",
        32.49,
        32.49,
    )


def test_payment_metadata_and_cart_text_must_be_storable(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    url = f"/checkout/carts/{cart['id']}/checkout"
    for value, why in (("NaN", "finite"), (str(2**64), "64 bits"), (str(-(2**63) - 1), "64 bits")):
        refused = shop.api.post(
            url,
            content=f'{{"payments": [{{"method": "cash", "metadata": {{"n": {value}}}}}]}}',
            headers={"Idempotency-Key": f"metadata-{value}", "Content-Type": "application/json"},
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_code"] == "invalid_request"
        assert "payments.0.metadata" in refused.json()["message"]
        assert why in refused.json()["message"]
    nul = shop.api.post(
        f"/checkout/carts/{cart['id']}/items",
        content=b'{"product_id": "tee", '
        b'"extended_attributes": [{"name": "a\\\\u0000", "value": "x"}]}',
        headers={"Content-Type": "application/json"},
    )
    assert nul.status_code == 201, nul.text  # an escaped backslash, then text: storable
    nul = shop.api.post(
        "/checkout/carts",
        content=b'{"associate_id": "a\\\\\\u0000", "channel_id": "store-1", "currency": "USD"}',
        headers={"Content-Type": "application/json"},
    )
    assert nul.status_code == 400, nul.text
    assert nul.json()["error_code"] == "invalid_characters"

    placed = shop.placed(cart["id"], [{"method": "cash", "metadata": {"n": 2**63}}])
    assert placed["order_id"]


def test_a_product_as_long_as_the_catalog_allows_is_sold_and_kept_whole(shop):
    product_id, title, pricebook = "p" * 255, "T" * 512, "b" * 128
    products(
        shop.api,
        shop.folder,
        [
            {
                "product_id": product_id,
                "title": title,
                "shop": "storefront-catalog-en",
                "locale": "en-US",
                "prices": [{"pricebook": pricebook, "currency": "USD", "value": 5.00}],
            }
        ],
    )
    stock(shop.api, shop.folder, [(STORE_NODE, product_id, 3)])
    cart = shop.cart()
    shop.add(cart["id"], product_id, price={"source_id": pricebook}, quantity=2)

    placed = shop.placed(cart["id"], [{"method": "cash", "amount": 10.00}], hand_over=True)

    order = shop.order(placed["order_id"])
    assert [item["product_id"] for item in order["items"]] == [product_id] * 2
    assert {item["product_attributes"]["name"] for item in order["items"]} == {title}

    async def kept(database, http):
        async with database.transaction() as session:
            return await orders.get_order(session, shop.tenant, order_id=placed["order_id"])

    assert {item["pricebook"] for item in shop.run(kept).items} == {pricebook}


def test_concurrent_checkouts_get_distinct_order_numbers(shop):
    carts = []
    for _ in range(6):
        cart = shop.cart()
        shop.add(cart["id"], "cap")
        carts.append(cart["id"])

    def submit(cart_id):
        with shop.platform.client(shop.credentials) as client:
            return client.post(
                f"/checkout/carts/{cart_id}/checkout",
                json={"payments": [{"method": "cash"}], "hand_over": True},
                headers={"Idempotency-Key": f"numbers-{cart_id}"},
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(submit, carts))

    assert [r.status_code for r in responses] == [201] * 6
    numbers = sorted(r.json()["order_number"] for r in responses)
    assert numbers == [f"CW-{n:06d}" for n in range(1, 7)]


def test_a_declined_capture_at_hand_over_hands_nothing_over_until_it_is_paid(shop):
    cart = shop.cart()
    shop.add(cart["id"], "cap")
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    shop.psp.dial("capture", kind="decline", error_code="instrument_error", times=1)

    declined = shop.hand_over(placed["order_id"])

    assert declined.status_code == 402
    assert declined.json()["error_code"] == "payment_declined"
    order = shop.order(placed["order_id"])
    assert (order["status_label"], order["payment_status_label"]) == (
        "In Fulfillment",
        "Authorized",
    )
    account = shop.api.get(f"/v0/payment_accounts/{placed['order_id']}").json()
    assert account["instruments"][0]["capturable"] == 12.5  # the reservation was freed

    handed = shop.hand_over(placed["order_id"])

    assert handed.status_code == 200, handed.text
    assert (handed.json()["status_label"], handed.json()["payment_status_label"]) == (
        "Complete",
        "Captured",
    )
    assert names(shop.wait_events(placed["order_id"], 4))[2:] == [
        "order.completed",
        "payment_account.amount_captured",
    ]


@pytest.mark.parametrize(
    "payment", [{"method": "cash"}, {"method": "credit_card", "token": "tok_visa"}]
)
def test_one_cart_checked_out_at_two_tills_at_once_is_sold_once(shop, payment):
    """Each till sends its own Idempotency-Key: one sale, the others told the cart is taken,
    the stock taken once, the card charged once."""
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)

    def submit(till: int) -> tuple[int, dict[str, object]]:
        with shop.platform.client(shop.credentials) as client:
            response = client.post(
                f"/checkout/carts/{cart['id']}/checkout",
                json={"payments": [payment], "hand_over": True},
                headers={"Idempotency-Key": f"till-{till}-{cart['id']}"},
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(submit, range(4)))

    sold = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    assert len(sold) == 1, answers
    # Checked out by the first, or still being checked out by it when asked.
    assert {body["error_code"] for body in refused} <= {
        "cart_checked_out",
        "cart_checkout_in_progress",
    }, refused
    created = [e for e in shop.quiet(1.0) if e["name"] == "order.created"]
    assert [e["payload"]["id"] for e in created] == [sold[0]["order_id"]]

    async def on_hand(database, http):
        async with database.transaction() as session:
            return await locations.on_hand(session, shop.tenant, STORE_NODE, "tee")

    assert shop.run(on_hand) == 8
    charged = [call for call in shop.psp.calls("create_instrument") if not call["replayed"]]
    revoked = shop.psp.calls("revoke")
    assert len(charged) - len(revoked) == (1 if payment["method"] == "credit_card" else 0)


def test_a_line_added_while_the_cart_is_checked_out_is_sold_or_refused_never_lost(shop):
    """The scan and the checkout at once, five times: a line the platform accepted (201) is in
    the order; one it refused (the cart was no longer open) is not."""

    def at_once(start: threading.Barrier, path: str, body: dict[str, Any], **kw: Any):
        with shop.platform.client(shop.credentials) as client:
            start.wait()
            return client.post(path, json=body, **kw)

    for attempt in range(5):
        cart = shop.cart()
        shop.add(cart["id"], "tee")
        start = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            scanned = pool.submit(
                at_once, start, f"/checkout/carts/{cart['id']}/items", {"product_id": "sock"}
            )
            paid = pool.submit(
                at_once,
                start,
                f"/checkout/carts/{cart['id']}/checkout",
                {"payments": [{"method": "cash"}], "hand_over": True},
                headers={"Idempotency-Key": f"scan-and-pay-{attempt}-{cart['id']}"},
            )
            line, sale = scanned.result(), paid.result()

        assert sale.status_code == 201, sale.text
        sold = sorted(item["product_id"] for item in sale.json()["items"])
        if line.status_code == 201:
            assert sold == ["sock", "tee"]
        else:
            assert line.json()["error_code"] == "cart_not_open", line.text
            assert sold == ["tee"]


def _cancel(shop, order_id: str):
    with shop.platform.client(shop.credentials) as client:
        return client.post(
            f"/v0/orders/{order_id}/cancel",
            params={"id_type": "internal"},
            json={"reason": "Cancelled in the OMS"},
        )


def _money_at_the_provider(shop, order_id: str) -> dict[str, float]:
    instrument = shop.psp.client().get(f"/financial_instruments/{order_id}.1").json()
    return {
        name: instrument["instrument"][f"{name}_amount"]
        for name in ("captured", "refunded", "revoked", "capturable")
    }


def test_an_order_cancelled_while_its_capture_runs_gives_the_money_back(shop):
    """The OMS cancels the order while the card is captured at the hand-over: the provider took
    the money, so the platform records it and refunds it — the customer keeps nothing paid for
    nothing, and the account says what the provider did."""
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    order_id = placed["order_id"]
    shop.psp.dial("capture", kind="latency", delay_ms=1500, times=1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        handing = pool.submit(shop.hand_over, order_id)
        time.sleep(0.5)  # the capture is on its way to the provider
        cancelled = _cancel(shop, order_id)
        handed = handing.result()

    assert cancelled.status_code == 200, cancelled.text
    assert handed.status_code == 409, handed.text
    assert handed.json()["error_code"] == "order_cancelled"
    assert [r["refunded"] for r in handed.json()["payment_releases"]] == [39.98]
    assert _money_at_the_provider(shop, order_id) == {
        "captured": 39.98,
        "refunded": 39.98,
        "revoked": 0.0,
        "capturable": 0.0,
    }
    account = shop.api.get(f"/v0/payment_accounts/{order_id}").json()
    assert (account["status"], account["captured"], account["balance"]) == ("refunded", 39.98, 0)
    order = shop.order(order_id)
    assert (order["status_label"], order["payment_status_label"]) == ("Cancelled", "Refunded")
    assert names(shop.wait_events(order_id, 5))[2:] == [
        "order.cancelled",
        "payment_account.amount_captured",
        "payment_account.amount_refunded",
    ]
    again = shop.hand_over(order_id)
    assert again.status_code == 409
    assert again.json()["error_code"] == "order_cancelled"


def test_a_hand_over_and_a_cancellation_at_once_end_one_way_and_the_money_agrees(shop):
    """Six orders, each handed over and cancelled at the same moment: never a server error,
    the order either complete or cancelled (never both), and the provider's money matching it."""
    for _ in range(6):
        cart = shop.cart()
        shop.add(cart["id"], "tee", quantity=2)
        order_id = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])[
            "order_id"
        ]
        start = threading.Barrier(2)

        def hand_over(order_id: str = order_id, start: threading.Barrier = start):
            start.wait()
            with shop.platform.client(shop.credentials) as client:
                return client.post(
                    f"/v0/orders/{order_id}/handover", params={"id_type": "internal"}
                )

        def cancel(order_id: str = order_id, start: threading.Barrier = start):
            start.wait()
            return _cancel(shop, order_id)

        with ThreadPoolExecutor(max_workers=2) as pool:
            handing, cancelling = pool.submit(hand_over), pool.submit(cancel)
            handed, cancelled = handing.result(), cancelling.result()

        assert handed.status_code < 500, handed.text
        assert cancelled.status_code < 500, cancelled.text
        order = shop.order(order_id)
        money = _money_at_the_provider(shop, order_id)
        if order["status_label"] == "Complete":
            assert (handed.status_code, cancelled.status_code) == (200, 409)
            assert money == {"captured": 39.98, "refunded": 0.0, "revoked": 0.0, "capturable": 0.0}
        else:
            assert order["status_label"] == "Cancelled"
            assert (handed.status_code, cancelled.status_code) == (409, 200)
            assert money["captured"] - money["refunded"] == 0.0, money
            assert money["capturable"] == 0.0, money
        account = shop.api.get(f"/v0/payment_accounts/{order_id}").json()
        assert account["captured"] == money["captured"]
        assert account["balance"] == money["captured"] - money["refunded"]


def test_a_hand_over_sent_twice_at_once_captures_once_and_answers_both(shop):
    """The second tap finds the first one's capture in flight and waits for the same answer:
    neither hands the items over before the card is captured."""
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)
    order_id = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])["order_id"]
    shop.psp.dial("capture", kind="latency", delay_ms=500, times=2)

    def hand_over(_: int):
        with shop.platform.client(shop.credentials) as client:
            return client.post(f"/v0/orders/{order_id}/handover", params={"id_type": "internal"})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(hand_over, range(2)))

    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    assert {
        (answer.json()["status_label"], answer.json()["payment_status_label"]) for answer in answers
    } == {("Complete", "Captured")}
    assert sorted(len(answer.json()["handed_over"]) for answer in answers) == [0, 2]
    captures = [call for call in shop.psp.calls("capture") if not call["replayed"]]
    assert len(captures) == 1
    time.sleep(1.0)
    events = names(shop.events(order_id))
    assert events.count("order.completed") == 1
    assert events.count("payment_account.amount_captured") == 1


def test_an_item_cancelled_while_the_capture_runs_is_refunded_and_the_rest_handed_over(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee", quantity=2)
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    order_id = placed["order_id"]
    kept, dropped = (item["id"] for item in placed["items"])
    shop.psp.dial("capture", kind="latency", delay_ms=1500, times=1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        handing = pool.submit(shop.hand_over, order_id)
        time.sleep(0.5)  # the capture is on its way to the provider
        cancelled = shop.api.post(
            f"/v0/orders/{order_id}/items/{dropped}/cancel",
            params={"id_type": "internal"},
            json={"reason": "One is enough"},
        )
        handed = handing.result()

    assert cancelled.status_code == 200, cancelled.text
    assert handed.status_code == 200, handed.text
    assert handed.json()["handed_over"] == [kept]
    assert _money_at_the_provider(shop, order_id) == {
        "captured": 39.98,
        "refunded": 19.99,
        "revoked": 0.0,
        "capturable": 0.0,
    }
    order = shop.order(order_id)
    assert [item["status_label"] for item in order["items"]] == ["Complete", "Cancelled"]
    assert order["payment_status_label"] == "Partially Refunded"
    again = shop.api.post(
        f"/v0/orders/{order_id}/items/{dropped}/cancel",
        params={"id_type": "internal"},
        json={"reason": "again"},
    )
    assert again.status_code == 409
    assert _money_at_the_provider(shop, order_id)["refunded"] == 19.99
