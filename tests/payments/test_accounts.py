"""Payment accounts: what they hold, refunds against the original payment, and the limits the
account enforces (also for cash, which has no provider ledger)."""

from __future__ import annotations

import asyncio

from cashwrap.core.errors import Conflict
from cashwrap.payments import service as payments

CARD = [{"method": "credit_card", "token": "tok_visa"}]


def paid_order(shop, payments_=CARD, quantity=1):
    """An endless-aisle order: captured in full at checkout."""
    cart = shop.cart()
    shop.add(cart["id"], "boot", fulfillment="SHIPPING", quantity=quantity)
    shop.ship_to(cart["id"])
    return shop.placed(cart["id"], payments_)


def refund(shop, order_id, amount, key):
    async def work(database, http):
        try:
            return await payments.refund(
                database,
                http,
                shop.tenant,
                account_id=order_id,
                amount=amount,
                idempotency_key=key,
                reason="return",
            )
        except Conflict as error:
            return error

    return shop.run(work)


def test_a_payment_account_shows_its_instruments_and_transactions(shop):
    placed = paid_order(shop)

    account = shop.api.get(f"/v0/payment_accounts/{placed['order_id']}").json()

    assert account["id"] == account["order_id"] == placed["order_id"]
    assert (account["status"], account["balance"], account["captured"]) == (
        "captured",
        124.95,
        124.95,
    )
    (instrument,) = account["instruments"]
    assert instrument["id"] == f"{placed['order_id']}.1"
    assert (instrument["capturable"], instrument["refundable"]) == (0.0, 124.95)
    assert [
        (t["reason"], t["capture_amount"], t["refund_amount"]) for t in account["transactions"]
    ] == [
        ("authorization", 124.95, 0.0),
        ("capture", -124.95, 0.0),
        ("capture", 0.0, 124.95),
    ]
    other = shop.platform.create_tenant()
    with shop.platform.client(other) as client:
        assert client.get(f"/v0/payment_accounts/{placed['order_id']}").status_code == 404


def test_a_refund_against_the_original_payment_happens_once_per_key(shop):
    placed = paid_order(shop)
    order_id = placed["order_id"]

    first = refund(shop, order_id, 5000, "return-1")
    again = refund(shop, order_id, 5000, "return-1")

    assert (first.state, first.refunded, first.account_status) == (
        "succeeded",
        5000,
        "partially_refunded",
    )
    assert (again.state, again.refunded, again.replayed) == ("succeeded", 5000, True)
    assert len(shop.psp.calls("refund")) == 1
    refunds = [
        e for e in shop.wait_events(order_id, 4) if e["name"] == "payment_account.amount_refunded"
    ]
    assert [t["amount"] for e in refunds for t in e["payload"]["transactions"]] == [-50.0]
    account = shop.api.get(f"/v0/payment_accounts/{order_id}").json()
    assert (account["refunded"], account["balance"]) == (50.0, 74.95)

    reused = refund(shop, order_id, 1000, "return-1")
    assert isinstance(reused, Conflict)
    assert reused.error_code == "idempotency_key_reused"


def test_the_account_never_refunds_more_cash_than_it_took(shop):
    shop.capabilities(cash_for_endless_aisle_orders_enabled=True)
    order_id = paid_order(shop, [{"method": "cash"}])["order_id"]  # 124.95 in cash

    too_much = refund(shop, order_id, 12496, "cash-1")
    part = refund(shop, order_id, 10000, "cash-2")
    rest_too_much = refund(shop, order_id, 2500, "cash-3")
    rest = refund(shop, order_id, 2495, "cash-4")

    assert isinstance(too_much, Conflict)
    assert too_much.error_code == "amount_exceeds_refundable"
    assert too_much.extra["refundable"] == 12495
    assert part.state == "succeeded"
    assert isinstance(rest_too_much, Conflict)
    assert rest_too_much.extra["refundable"] == 2495
    assert (rest.state, rest.account_status) == ("succeeded", "refunded")
    assert shop.psp.calls() == []


def test_concurrent_refunds_cannot_spend_the_same_amount(shop):
    order_id = paid_order(shop)["order_id"]  # 124.95

    async def both(database, http):
        async def one(key):
            try:
                return await payments.refund(
                    database, http, shop.tenant, account_id=order_id, amount=10000,
                    idempotency_key=key,
                )  # fmt: skip
            except Conflict as error:
                return error

        return await asyncio.gather(one("race-a"), one("race-b"))

    results = shop.run(both)

    refunded = [r for r in results if not isinstance(r, Conflict)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert [r.refunded for r in refunded] == [10000]
    assert [r.error_code for r in refused] == ["amount_exceeds_refundable"]
    assert len(shop.psp.calls("refund")) == 1


def test_a_declined_refund_moves_nothing_and_frees_the_amount(shop):
    order_id = paid_order(shop)["order_id"]
    shop.psp.dial("refund", kind="decline", error_code="instrument_error", times=1)

    declined = refund(shop, order_id, 2000, "declined-1")
    later = refund(shop, order_id, 12495, "after-decline")

    assert declined.state == "failed"
    assert declined.refusal.error_code == "instrument_error"
    assert (later.state, later.refunded, later.account_status) == ("succeeded", 12495, "refunded")


def test_the_payment_history_lists_payments_and_refunds_only_for_the_methods_it_can_carry(shop):
    order = paid_order(shop)
    refund(shop, order["order_id"], 2000, "history-1")

    by_number = shop.api.get(f"/v0/orders/{order['order_number']}", params={"id_type": "external"})
    by_id = shop.api.get(f"/v0/orders/{order['order_id']}", params={"id_type": "internal"})

    assert by_number.json()["payment_history"] == [
        {"amount": 124.95, "category": "payment", "currency": "USD", "method": "credit_card"},
        {"amount": 20.0, "category": "refund", "currency": "USD", "method": "credit_card"},
    ]
    assert "payment_history" not in by_id.json()  # NewStore: empty for the internal id type

    other = paid_order(shop, [{"method": "paypal", "token": "tok_paypal"}])
    history = shop.api.get(f"/v0/orders/{other['order_number']}", params={"id_type": "external"})
    assert "payment_history" not in history.json()


def test_a_second_account_under_an_order_id_is_a_conflict_and_changes_nothing(shop):
    placed = paid_order(shop)

    async def open_again(database, http):
        try:
            async with database.transaction() as session:
                await payments.open_account(
                    session,
                    shop.tenant,
                    account_id=placed["order_id"],
                    order_id=placed["order_id"],
                    currency="USD",
                    authorizations=[],
                )
        except Conflict as error:
            return error
        return None

    refused = shop.run(open_again)
    assert isinstance(refused, Conflict)
    assert refused.error_code == "account_exists"
    account = shop.api.get(f"/v0/payment_accounts/{placed['order_id']}").json()
    assert (account["status"], account["captured"]) == ("captured", 124.95)
