"""Whatever an associate and the OMS do to a card sale, in whatever order — hand it over, cancel
an item or the whole order, take units back — the money at the payment provider follows the
goods, and the platform's payment account says the same:

* cash & carry (authorized, captured at the hand-over): what the provider keeps captured is what
  the customer left with, what it still holds authorized is what is still to hand over;
* mixed cart (pre-captured: a boot shipped, two tees taken): it keeps what was not cancelled or
  returned, and the shipping unless every shipped item was cancelled.

The sequences are drawn by hypothesis (derandomized: the same ones every run); every step goes
over HTTP to the platform, which calls the sandbox payment provider over HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.checkout.support import STORE_NODE, Shop

OPEN = {"pending", "in_fulfillment", "on_hold"}
GONE = {"cancelled", "returned"}
# Each sale has three units; a step names one by its place in the order.
UNITS = 3

steps = st.lists(
    st.one_of(
        st.just(("hand_over", 0)),
        st.just(("cancel_order", 0)),
        st.tuples(st.just("cancel_item"), st.integers(0, UNITS - 1)),
        st.tuples(st.just("return"), st.integers(0, UNITS - 1)),
    ),
    min_size=1,
    max_size=5,
)


def _cents(value: float) -> int:
    return round(value * 100)


def _act(shop: Shop, order: dict[str, Any], step: tuple[str, int]) -> tuple[str, int]:
    """Take the step; the answer's status (a refusal is fine, a server error is not)."""
    action, index = step
    order_id = order["uuid"]
    item = order["items"][index]
    if action == "hand_over":
        response = shop.hand_over(order_id)
    elif action == "cancel_order":
        response = shop.api.post(
            f"/v0/orders/{order_id}/cancel",
            params={"id_type": "internal"},
            json={"reason": "customer"},
        )
    elif action == "cancel_item":
        response = shop.api.post(
            f"/v0/orders/{order_id}/items/{item['id']}/cancel",
            params={"id_type": "internal"},
            json={"reason": "customer"},
        )
    else:
        response = shop.api.post(
            f"/v0/d/orders/{order_id}/returns",
            json={
                "items": [{"product_id": item["product_id"], "reason": "Changed mind"}],
                "returned_from": STORE_NODE,
                "refund_method": "original",
            },
        )
    assert response.status_code < 500, f"{step}: {response.status_code} {response.text}"
    return action, response.status_code


def _owed(order: dict[str, Any], precaptured: bool) -> tuple[int, int]:
    """What the provider should keep captured, and hold authorized, for the order as it is."""
    items = order["items"]
    if not precaptured:
        kept = sum(_cents(i["price"]["gross"]) for i in items if i["status"] == "complete")
        return kept, sum(_cents(i["price"]["gross"]) for i in items if i["status"] in OPEN)
    kept = sum(_cents(i["price"]["gross"]) for i in items if i["status"] not in GONE)
    shipping = [i for i in items if i["shipping_method"] != "IN_STORE_HANDOVER"]
    # A cancellation that leaves nothing to ship gives the shipping back; a return does not
    # (the parcel travelled).
    if any(i["status"] != "cancelled" for i in shipping):
        kept += _cents(order["totals"]["shipping"])
    return kept, 0


def _assert_money_follows_the_goods(
    shop: Shop, order_id: str, precaptured: bool, history: list[Any]
) -> None:
    order = shop.order(order_id)
    kept, held = _owed(order, precaptured)
    account = shop.api.get(f"/v0/payment_accounts/{order_id}").json()
    [instrument] = account["instruments"]
    with shop.psp.client() as provider:
        at_provider = provider.get(f"/financial_instruments/{instrument['id']}").json()[
            "instrument"
        ]
    statuses = [item["status"] for item in order["items"]]
    what = f"after {history}: items {statuses}, account {account}, provider {at_provider}"
    kept_at_provider = _cents(at_provider["captured_amount"]) - _cents(
        at_provider["refunded_amount"]
    )
    assert kept_at_provider == kept, what
    assert _cents(at_provider["capturable_amount"]) == held, what
    assert _cents(instrument["captured"]) - _cents(instrument["refunded"]) == kept, what
    assert _cents(instrument["capturable"]) == held, what


@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(chosen=steps)
@pytest.mark.parametrize("sale", ["cash_and_carry", "mixed_cart"])
def test_the_money_at_the_provider_follows_the_goods_whatever_is_done_to_a_card_sale(
    shop: Shop, sale: str, chosen: list[tuple[str, int]]
) -> None:
    shop.configure("payment", {"refund_options": ["original"]}, method="PATCH")
    cart = shop.cart()
    if sale == "mixed_cart":
        shop.add(cart["id"], "boot", fulfillment="SHIPPING")
        shop.add(cart["id"], "tee", fulfillment="IN_STORE_HANDOVER", quantity=2)
        shop.ship_to(cart["id"])
    else:
        shop.add(cart["id"], "tee", quantity=2)
        shop.add(cart["id"], "cap")
    placed = shop.placed(cart["id"], [{"method": "credit_card", "token": "tok_visa"}])
    order = shop.order(placed["order_id"])
    history: list[Any] = []
    for step in chosen:
        history.append(_act(shop, order, step))
        event(f"{history[-1][0]} answered {history[-1][1]}")
        _assert_money_follows_the_goods(shop, placed["order_id"], sale == "mixed_cart", history)
