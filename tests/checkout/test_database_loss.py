"""The database drops the connection while a paid sale is being written (a restart, a
fail-over): the associate gets ``503 database_unavailable``, nothing paid is given back, and
the same checkout again — same Idempotency-Key — places the order once, on the payment already
approved. Giving the money back would be wrong: the commit may have gone through.

PostgreSQL only: the embedded SQLite file has no server to lose.
"""

from __future__ import annotations

import pytest

from tests.injection.test_fulfill_order import assert_problem
from tests.support import databases

pytestmark = pytest.mark.skipif(
    not databases.kind().startswith("postgres"), reason="a database server to lose"
)


def test_a_connection_lost_while_the_order_is_written_keeps_the_payment_for_the_retry(shop):
    cart = shop.cart()
    shop.add(cart["id"], "tee")
    payment = [{"method": "credit_card", "token": "tok_visa"}]
    url = shop.platform.settings.database_url

    with databases.connection_lost_on_insert(url, "orders", shop.tenant):
        lost = shop.checkout(cart["id"], payment)

    assert_problem(lost, "database_unavailable", status=503)
    assert lost.headers["Retry-After"] == "1"
    assert [call["operation"] for call in shop.psp.calls()] == ["create_instrument"]
    assert shop.quiet() == []
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["state"] == "checking_out"

    placed = shop.checkout(cart["id"], payment, key=shop.keys[0])

    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    assert placed.json()["payment_status"] == "authorized"
    calls = shop.psp.calls()
    assert {call["operation"] for call in calls} == {"create_instrument"}  # none given back
    assert {call["idempotency_key"] for call in calls} == {f"{order_id}.1:authorize"}
    instrument = shop.psp.client().get(f"/financial_instruments/{order_id}.1")
    assert instrument.json()["instrument"]["authorized_amount"] == 19.99
    events = shop.wait_events(order_id, 2)
    assert [event["name"] for event in events] == [
        "payment_account.amount_authorized",
        "order.created",
    ]
    again = shop.checkout(cart["id"], payment, key=shop.keys[0])
    assert again.json() == placed.json()
