"""Selling in the store (seed: "Cash & Carry orders", "Endless-aisle orders", "Mixed-cart
orders": the validation steps and the sequences).

Each scenario does what an associate does in the Associate App — a cart in the store, its
lines, a card payment at the sandbox payment provider — then checks the seed's validation table
through the order read API's labels, and the events the sandbox OMS received:

=============== ==================================================== ===========================
scenario        statuses (order / payment / items)                   events, in the seed's order
=============== ==================================================== ===========================
cash_and_carry  Complete / Captured / Complete                       amount_authorized,
                                                                     order.created; at the
                                                                     hand-over order.completed,
                                                                     amount_captured
endless_aisle   Complete / Captured / Captured                       order.created,
                                                                     amount_authorized,
                                                                     amount_captured
mixed_cart      Partially Complete / Captured / Captured (shipped),  the same as endless aisle
                Complete (taken)
=============== ==================================================== ===========================

The event stream does not promise delivery order, so the sequence is read the way an OMS must
read it: by the envelopes' ``published_at`` (the platform's order); the order of arrival is
shown beside it. The scenarios use the demo's store at ``US01`` and its catalog, and order
numbers the platform gives.
"""

from __future__ import annotations

from typing import Any

from cashwrap.validation.runner import Scenario, ScenarioContext

STORE_LOCATION = "US01"
CATALOG = "storefront-catalog-en"
TAKEN = "1000061"
SHIPPED = "1000761"
CARD = [{"method": "credit_card", "token": "tok_visa"}]
ADDRESS = {
    "first_name": "Valid",
    "last_name": "Ation",
    "address_line_1": "1 Main Street",
    "city": "New York",
    "zip_code": "10001",
    "country": "US",
}
AUTHORIZED = "payment_account.amount_authorized"
CAPTURED = "payment_account.amount_captured"
CREATED = "order.created"
COMPLETED = "order.completed"


def run_cash_and_carry(ctx: ScenarioContext) -> None:
    since = ctx.oms.last_event_sequence()
    cart = _cart(ctx, "cash-and-carry")
    _line(ctx, cart, TAKEN, "IN_STORE_HANDOVER", 2)
    placed = _checkout(ctx, cart, hand_over=False)
    ctx.expect(
        "at checkout the payment is only authorized",
        ("In Fulfillment", "Authorized"),
        (placed.get("status_label"), placed.get("payment_status_label")),
    )
    order_id, number = str(placed.get("order_id")), str(placed.get("order_number"))
    ctx.require_status(
        "the associate hands the items over",
        ctx.platform.post(f"/v0/orders/{order_id}/handover", params={"id_type": "internal"}),
        200,
    )
    _statuses(ctx, order_id, "Complete", "Captured", {TAKEN: "Complete"})
    _sequence(ctx, order_id, since, [AUTHORIZED, CREATED, COMPLETED, CAPTURED])
    _oms_order(ctx, number, expected=("complete", True))


def run_endless_aisle(ctx: ScenarioContext) -> None:
    since = ctx.oms.last_event_sequence()
    cart = _cart(ctx, "endless-aisle", shipping=True)
    _line(ctx, cart, SHIPPED, "SHIPPING", 1)
    _shipping_options(ctx, cart)
    placed = _checkout(ctx, cart, hand_over=False)
    order_id, number = str(placed.get("order_id")), str(placed.get("order_number"))
    _statuses(ctx, order_id, "Complete", "Captured", {SHIPPED: "Captured"})
    _sequence(ctx, order_id, since, [CREATED, AUTHORIZED, CAPTURED])
    _oms_order(ctx, number, expected=(None, True))


def run_mixed_cart(ctx: ScenarioContext) -> None:
    since = ctx.oms.last_event_sequence()
    cart = _cart(ctx, "mixed-cart", shipping=True)
    _line(ctx, cart, SHIPPED, "SHIPPING", 1)
    _line(ctx, cart, TAKEN, "IN_STORE_HANDOVER", 1)
    placed = _checkout(ctx, cart, hand_over=True)
    order_id, number = str(placed.get("order_id")), str(placed.get("order_number"))
    _statuses(
        ctx, order_id, "Partially Complete", "Captured", {SHIPPED: "Captured", TAKEN: "Complete"}
    )
    _sequence(ctx, order_id, since, [CREATED, AUTHORIZED, CAPTURED])
    _oms_order(ctx, number, expected=(None, True))


# --- steps ---------------------------------------------------------------------------------------


def _cart(ctx: ScenarioContext, flow: str, *, shipping: bool = False) -> dict[str, Any]:
    location = ctx.require_status(
        f"the store at {STORE_LOCATION} is known",
        ctx.platform.get(f"/v0/fulfillment_locations/{STORE_LOCATION}"),
        200,
    )
    body: dict[str, Any] = {
        "associate_id": "validate",
        "catalog": CATALOG,
        "channel_id": location.get("store_id") or STORE_LOCATION,
        "channel_type": "STORE",
        "currency": "USD",
        "locale": "en-US",
        "customer_email": f"{ctx.unique(flow)}@example.com",
    }
    if shipping:
        body |= {"shipping_address": ADDRESS, "service_level": _service_level(ctx)}
    cart: dict[str, Any] = ctx.require_status(
        "the associate opens a cart in the store",
        ctx.platform.post("/checkout/carts", json=body),
        201,
    )
    return cart


def _service_level(ctx: ScenarioContext) -> str:
    config = ctx.require_status(
        "the fulfillment configuration is read", ctx.platform.get("/v0/config/fulfillment"), 200
    )
    levels = (config or {}).get("fulfillment_config", {}).get("sl_levels_priority") or ["Priority"]
    return str(levels[0])


def _line(ctx: ScenarioContext, cart: dict[str, Any], product: str, kind: str, units: int) -> None:
    ctx.require_status(
        f"{units} × {product} ({kind}) is added",
        ctx.platform.post(
            f"/checkout/carts/{cart.get('id')}/items",
            json={"product_id": product, "quantity": units, "fulfillment": kind},
        ),
        201,
    )


def _shipping_options(ctx: ScenarioContext, cart: dict[str, Any]) -> None:
    options = ctx.require_status(
        "the shipping options are shown",
        ctx.platform.get(f"/checkout/carts/{cart.get('id')}/shipping_options"),
        200,
    )
    offered = [
        (o.get("service_level"), o.get("available"), len(o.get("shipments", [])))
        for o in options.get("shipping_options", [])
    ]
    ctx.check(
        "the product can be shipped, in shipments the platform's routing would make",
        expected="an available service level with at least one shipment",
        observed=offered,
        passed=any(available and shipments for _, available, shipments in offered),
    )


def _checkout(ctx: ScenarioContext, cart: dict[str, Any], *, hand_over: bool) -> dict[str, Any]:
    placed: dict[str, Any] = ctx.require_status(
        "the customer pays by card and the order is placed",
        ctx.platform.post(
            f"/checkout/carts/{cart.get('id')}/checkout",
            json={"payments": CARD, "hand_over": hand_over},
            headers={"Idempotency-Key": ctx.unique(f"checkout-{cart.get('id')}")},
        ),
        201,
    )
    return placed


def _statuses(
    ctx: ScenarioContext,
    order_id: str,
    order_label: str,
    payment_label: str,
    item_labels: dict[str, str],
) -> None:
    order = ctx.require_status(
        "the order is read",
        ctx.platform.get(f"/v0/orders/{order_id}", params={"id_type": "internal"}),
        200,
    )
    ctx.expect("the order reads", order_label, order.get("status_label"))
    ctx.expect("the payment reads", payment_label, order.get("payment_status_label"))
    observed = {item.get("product_id"): item.get("status_label") for item in order.get("items", [])}
    ctx.expect("the items read", item_labels, observed)


def _sequence(ctx: ScenarioContext, order_id: str, since: int, expected: list[str]) -> None:
    events = ctx.oms_events_for(order_id, after=since, count=len(expected), timeout=30)
    wanted = [event for event in events if event["name"] in expected]
    published = [
        event["name"] for event in sorted(wanted, key=lambda e: str(e.get("published_at")))
    ]
    received = [event["name"] for event in wanted]
    ctx.check(
        "the OMS received the seed's events, in the seed's order",
        expected=expected,
        observed=published if published == received else f"{published} (arrived {received})",
        passed=published == expected,
    )
    refused = [
        (event["name"], event.get("outcome"))
        for event in wanted
        if event.get("outcome") not in ("handled", "duplicate")
    ]
    ctx.check(
        "the OMS handled each of them",
        expected="handled",
        observed=refused or "handled",
        passed=not refused,
    )


def _oms_order(ctx: ScenarioContext, number: str, *, expected: tuple[str | None, bool]) -> None:
    status, paid = expected

    def probe() -> dict[str, Any] | None:
        order = ctx.oms.order(number)
        if (
            order
            and order.get("paid") == paid
            and (status is None or order.get("status") == status)
        ):
            return order
        return None

    order = ctx.wait_until(probe, timeout=20) or ctx.oms.order(number) or {}
    observed = (order.get("status"), order.get("paid"))
    ctx.check(
        "the OMS has the order" + (f" {status}" if status else "") + " and paid",
        expected=(status or "any status", paid),
        observed=observed,
        passed=bool(order)
        and order.get("paid") == paid
        and (status in (None, order.get("status"))),
    )


CASH_AND_CARRY = Scenario(
    "cash_and_carry",
    "Cash & carry: Complete, Captured, items Complete; authorized, created, completed, captured",
    run_cash_and_carry,
    requires=("oms", "psp"),
)
ENDLESS_AISLE = Scenario(
    "endless_aisle",
    "Endless aisle: pre-captured; Complete, Captured, items Captured; created and both payments",
    run_endless_aisle,
    requires=("oms", "psp"),
)
MIXED_CART = Scenario(
    "mixed_cart",
    "Mixed cart: Partially Complete, Captured; shipped items Captured, taken items Complete",
    run_mixed_cart,
    requires=("oms", "psp"),
)
