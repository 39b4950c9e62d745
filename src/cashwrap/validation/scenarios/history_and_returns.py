"""Purchase history, order details and in-store returns (seed: "Retrieving purchase and order
history from an external OMS", "In-store returns").

``purchase_history``: the OMS holds 150 orders of one customer and — misbehaving on purpose —
sends all of them oldest first; the platform shows the 100 newest, newest first, and pages
through them with the version 2 media type.

``order_details``: an order of the OMS is read by its id; its ``payment_history`` is shown when
its payment method is one Associate App shows, and left out otherwise; an id the OMS does not
know is 404.

``referenced_return``: an order taken in the platform and paid by card is returned in a store;
the card is refunded at the payment provider, the OMS hears ``return.processed`` and
``payment_account.amount_refunded``.

``unreferenced_return``: an order captured in the OMS (``origin`` ``external``) is returned in
a store with the ``external`` refund: the placeholder adapter records it, the unit goes back in
stock, the OMS hears ``return.processed``, ``refund_request.issued`` and
``payment_account.amount_refunded`` (``payment_method`` ``external``) and marks its item
returned; the unit cannot come back twice.

Each creates its orders under ids of its own (``ctx.unique``) and undoes what it changes in the
sandboxes' settings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cashwrap.validation.runner import Scenario, ScenarioContext

VERSION_2 = "application/x.newstore.orders+json;version=2"
STORE = "US01"
PRODUCT = "1000062"
CATALOG = "storefront-catalog-en"


def _email(ctx: ScenarioContext, prefix: str) -> str:
    return f"{ctx.unique(prefix)}@example.com"


def run_purchase_history(ctx: ScenarioContext) -> None:
    email = _email(ctx, "history")
    prefix = ctx.unique("PH")
    ctx.oms.admin(
        "POST",
        "/orders/_generate",
        expect=201,
        json={"customer_email": email, "count": 150, "prefix": prefix},
    )
    ctx.oms.settings(history_limit=150, history_newest_first=False)
    ctx.cleanup(lambda: ctx.oms.settings(history_limit=None, history_newest_first=None))
    response = ctx.platform.get("/v0/orders", params={"customer_email": email})
    body = ctx.require_status("the customer's order history is read", response, 200)
    ctx.expect(
        "the history comes from the external OMS",
        "external_oms",
        response.headers.get("x-order-history-source"),
    )
    orders: list[dict[str, Any]] = body.get("orders", [])
    ids = [order.get("id") for order in orders]
    ctx.expect("at most 100 orders are shown (the OMS sent 150)", 100, len(ids))
    # The sandbox numbers orders one a day back from now: 000001 is the newest.
    newest = [f"{prefix}{index:06d}" for index in range(1, 101)]
    ctx.check(
        "the 100 newest, newest first",
        expected=f"{newest[0]} … {newest[-1]}",
        observed=f"{ids[0] if ids else None} … {ids[-1] if ids else None}",
        passed=ids == newest,
    )
    placed = [str(order.get("placed_at")) for order in orders]
    ctx.check(
        "placed_at descends",
        expected="each order placed after the next",
        observed="yes" if placed == sorted(placed, reverse=True) else "no",
        passed=placed == sorted(placed, reverse=True),
    )
    paged = ctx.require_status(
        "a page is read with the version 2 media type",
        ctx.platform.get(
            "/v0/orders",
            params={"customer_email": email, "offset": 95, "count": 10},
            headers={"Accept": VERSION_2},
        ),
        200,
    )
    ctx.expect(
        "the last page holds the 96th to 100th newest",
        newest[95:],
        [order.get("id") for order in paged.get("orders", [])],
    )


def run_order_details(ctx: ScenarioContext) -> None:
    card, other = ctx.unique("OD-CARD"), ctx.unique("OD-OTHER")
    placed = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    ctx.oms.admin(
        "POST",
        "/orders",
        expect=201,
        json={
            "orders": [
                _seed_order(card, placed, [("credit_card", "VISA ****1111")]),
                _seed_order(other, placed, [("paypal", None)]),
            ]
        },
    )
    details = ctx.require_status(
        "an order of the OMS is read by its id",
        ctx.platform.get(f"/v0/orders/{card}", params={"id_type": "external"}),
        200,
    )
    ctx.expect(
        "it is the OMS's order", (card, "external"), (details.get("id"), details.get("origin"))
    )
    ctx.expect("its totals come with it", 29.0, (details.get("totals") or {}).get("total"))
    ctx.expect(
        "a card payment is shown in payment_history",
        ["credit_card"],
        [entry.get("method") for entry in details.get("payment_history") or []],
    )
    without = ctx.require_status(
        "an order paid with another method is read",
        ctx.platform.get(f"/v0/orders/{other}", params={"id_type": "external"}),
        200,
    )
    ctx.expect(
        "payment_history is left out for a method Associate App cannot show",
        False,
        "payment_history" in without,
    )
    missing = ctx.platform.get(
        f"/v0/orders/{ctx.unique('OD-NONE')}", params={"id_type": "external"}
    )
    ctx.expect(
        "an id the OMS does not know is 404 order_not_found",
        (404, "order_not_found"),
        (missing.status_code, _code(missing)),
    )


def run_referenced_return(ctx: ScenarioContext) -> None:
    location = ctx.require_status(
        f"the store {STORE} is known", ctx.platform.get(f"/v0/fulfillment_locations/{STORE}"), 200
    )
    cart = ctx.require_status(
        "a cart is opened in the store",
        ctx.platform.post(
            "/checkout/carts",
            json={
                "associate_id": "validate",
                "catalog": CATALOG,
                "channel_id": location.get("store_id") or STORE,
                "channel_type": "STORE",
                "currency": "USD",
                "locale": "en-US",
                "customer_email": _email(ctx, "referenced"),
            },
        ),
        201,
    )
    ctx.require_status(
        f"{PRODUCT} is added",
        ctx.platform.post(
            f"/checkout/carts/{cart.get('id')}/items", json={"product_id": PRODUCT, "quantity": 1}
        ),
        201,
    )
    placed = ctx.require_status(
        "the customer pays by card and leaves with it",
        ctx.platform.post(
            f"/checkout/carts/{cart.get('id')}/checkout",
            json={"payments": [{"method": "credit_card", "token": "tok_visa"}], "hand_over": True},
            headers={"Idempotency-Key": ctx.unique("referenced-checkout")},
        ),
        201,
    )
    order_id, number = placed.get("order_id"), placed.get("order_number")
    psp_since, oms_since = ctx.psp.last_call_sequence(), ctx.oms.last_event_sequence()
    taken = ctx.require_status(
        "the return is taken by the order number",
        ctx.platform.post(
            f"/v0/d/orders/{number}/returns",
            json={
                "items": [{"product_id": PRODUCT, "reason": "Too small"}],
                "returned_from": STORE,
                "associate_id": "validate",
            },
        ),
        201,
    )
    refund = taken.get("refund") or {}
    ctx.expect(
        "it is a referenced return",
        ("referenced", order_id),
        (taken.get("kind"), taken.get("order_id")),
    )
    ctx.expect(
        "it is refunded against the original payment",
        ("original", "refunded", taken.get("total_refund_amount")),
        (refund.get("method"), refund.get("status"), refund.get("refunded_amount")),
    )
    refunds = [
        call
        for call in ctx.psp.calls("refund", after=psp_since)
        if call.get("status") == 200 and str(order_id) in str(call.get("path"))
    ]
    ctx.expect("the payment provider refunded the card once", 1, len(refunds))
    order = ctx.require_status(
        "the order is read",
        ctx.platform.get(f"/v0/orders/{order_id}", params={"id_type": "internal"}),
        200,
    )
    ctx.expect(
        "the order's item is returned and its payment refunded",
        (["returned"], "refunded"),
        ([item.get("status") for item in order.get("items", [])], order.get("payment_status")),
    )
    _oms_heard_the_return(ctx, taken, str(order_id), oms_since, method="credit_card")


def run_unreferenced_return(ctx: ScenarioContext) -> None:
    number = ctx.unique("UR")
    placed = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    order = _seed_order(number, placed, [("credit_card", None)], units=2, product=PRODUCT)
    ctx.oms.admin("POST", "/orders", expect=201, json={"orders": [order]})
    before = _on_hand(ctx, PRODUCT)
    since = ctx.oms.last_event_sequence()
    taken = ctx.require_status(
        "the return is taken with the external refund",
        ctx.platform.post(
            f"/v0/d/orders/{number}/returns",
            json={
                "items": [{"product_id": PRODUCT, "reason": "Changed mind"}],
                "returned_from": STORE,
                "refund_method": "external",
                "associate_id": "validate",
            },
        ),
        201,
    )
    refund = taken.get("refund") or {}
    ctx.expect("it is an unreferenced return", "unreferenced", taken.get("kind"))
    ctx.expect(
        "the placeholder adapter recorded the refund",
        ("external", "refunded", 79.0),
        (refund.get("method"), refund.get("status"), refund.get("refunded_amount")),
    )
    ctx.expect("the unit is back in the store's stock", before + 1, _on_hand(ctx, PRODUCT))
    _oms_heard_the_return(ctx, taken, number, since, method="external")
    item = f"{number}-1"
    marked = ctx.wait_until(lambda: _oms_item_status(ctx, number, item) == "returned", timeout=20)
    ctx.check(
        "the OMS marked its item returned",
        expected="returned",
        observed=_oms_item_status(ctx, number, item),
        passed=bool(marked),
    )
    again = ctx.platform.post(
        f"/v0/d/orders/{number}/returns",
        json={
            "items": [{"product_id": PRODUCT, "quantity": 2}],
            "returned_from": STORE,
            "refund_method": "external",
        },
    )
    ctx.expect(
        "a unit is never returned twice (2 asked, 1 left)",
        (409, "return_quantity_exceeded"),
        (again.status_code, _code(again)),
    )


def _oms_heard_the_return(
    ctx: ScenarioContext, taken: dict[str, Any], order_key: str, since: int, *, method: str
) -> None:
    processed = ctx.wait_for_oms_event(
        "return.processed", lambda e: e["payload"].get("id") == taken.get("id"), after=since
    )
    about = (processed or {}).get("payload", {}).get("order_id")
    ctx.check(
        "the OMS received return.processed",
        expected=f"return {taken.get('id')} of order {order_key}",
        observed=processed and (about, processed.get("outcome")),
        passed=about == order_key,
    )
    issued = ctx.wait_for_oms_event(
        "refund_request.issued",
        lambda e: e["payload"].get("id") == (taken.get("refund") or {}).get("id"),
        after=since,
    )
    ctx.check(
        "the OMS received refund_request.issued",
        expected=(taken.get("refund") or {}).get("amount"),
        observed=issued and issued["payload"].get("amount"),
        passed=bool(issued),
    )
    account = (taken.get("refund") or {}).get("payment_account_id")
    refunded = ctx.wait_for_oms_event(
        "payment_account.amount_refunded", lambda e: e["payload"].get("id") == account, after=since
    )
    methods = [
        i.get("payment_method") for i in (refunded or {}).get("payload", {}).get("instruments", [])
    ]
    ctx.check(
        "the OMS received payment_account.amount_refunded",
        expected=f"a refund by {method}",
        observed=methods,
        passed=bool(refunded) and method in methods,
    )


def _seed_order(
    number: str,
    placed_at: str,
    payments: list[tuple[str, str | None]],
    *,
    units: int = 1,
    product: str = "1000061",
) -> dict[str, Any]:
    price, tax = (79.0, 7.0) if product == PRODUCT else (29.0, 2.0)
    return {
        "id": number,
        "customer_email": "validate-returns@example.com",
        "customer_name": "Validation Customer",
        "placed_at": placed_at,
        "items": [
            {"id": f"{number}-{index}", "product_id": product, "name": "Validation item",
             "price": price, "tax": tax}
            for index in range(1, units + 1)
        ],
        "payments": [
            {"method": method, "amount": price * units,
             **({"payment_information": info} if info else {})}
            for method, info in payments
        ],
    }  # fmt: skip


def _on_hand(ctx: ScenarioContext, product: str) -> int:
    body = ctx.require_status(
        f"stock of {product} at {STORE} is read",
        ctx.platform.get(
            "/v0/stock/insights", params={"product_id": product, "fulfillment_node_id": STORE}
        ),
        200,
    )
    return int(body.get("on_hand", 0))


def _oms_item_status(ctx: ScenarioContext, number: str, item_id: str) -> str | None:
    order = ctx.oms.order(number) or {}
    for item in order.get("items", []):
        if item.get("id") == item_id:
            return str(item.get("status"))
    return None


def _code(response: Any) -> str | None:
    try:
        return str(response.json().get("error_code"))
    except ValueError:
        return None


PURCHASE_HISTORY = Scenario(
    "purchase_history",
    "Purchase history from the OMS: the 100 newest orders, newest first",
    run_purchase_history,
    requires=("oms",),
)
ORDER_DETAILS = Scenario(
    "order_details",
    "Order details from the OMS, with payment_history only for the methods the app shows",
    run_order_details,
    requires=("oms",),
)
REFERENCED_RETURN = Scenario(
    "referenced_return",
    "Referenced return of an order paid by card in the platform, refunded to the card",
    run_referenced_return,
    requires=("oms", "psp"),
)
UNREFERENCED_RETURN = Scenario(
    "unreferenced_return",
    "Unreferenced return of an OMS order, refunded through the external placeholder adapter",
    run_unreferenced_return,
    requires=("oms",),
)
