"""Store fulfillment via the external OMS, and order injection (seed: "Store fulfillment via an
external OMS", "Store fulfillment orders").

The store-fulfillment scenarios start where the seed does: an endless-aisle order is placed in
the platform; the sandbox OMS, told by ``order.created``, routes it back to a store by injecting
it under another order number (``routing_strategy`` ``external``). Then the store works it as the
Associate App would:

``store_fulfillment_pickup``: pick, pack, pickup label, handover to the customer →
``order.completed`` reaches the OMS.

``store_fulfillment_ship``: pick, pack, the carrier books it (shipping label, tracking code), the
carrier picks it up → ``order.completed`` reaches the OMS.

``store_fulfillment_mispick_reroute``: an item is not on the shelf → the platform cancels the
order (``order.cancelled``, reason ``mispick``); the OMS re-routes it to another store under a
new number, and that store ships it.

``injection_unknown_location``: an order injected for a location the platform does not know is
accepted and cancelled (``order.cancelled``, reason ``failed_fulfillment_node_mapping``).

``injection_idempotent``: the same injection answers the same bytes, 16 at once create one
order, and a different payload under the same ``external_id`` is refused.

Each uses order numbers and products of its own, and puts the OMS's stock back.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from cashwrap.validation.runner import Scenario, ScenarioContext

PRODUCT = "10000212"
STORE_OF = {"US01": "store-new-york", "US02": "store-boston"}
OMS_STOCK = {"US01": 10, "US02": 10, "DC01": 50}
ADDRESS = {
    "first_name": "Jane",
    "last_name": "Doe",
    "address_line_1": "1 Main St",
    "city": "New York",
    "state": "NY",
    "zip_code": "10001",
    "country": "US",
}
ASSOCIATE = "validate-associate"


# --- the path into the store ----------------------------------------------------------------


def _only_in_stores(ctx: ScenarioContext) -> None:
    """The OMS holds the product in US01 and US02 only (so it routes to a store), until the
    scenario ends."""
    ctx.oms.set_stock(
        [
            {"fulfillment_location": "DC01", "product_id": PRODUCT, "atp": 0},
            {"fulfillment_location": "US01", "product_id": PRODUCT, "atp": 1},
            {"fulfillment_location": "US02", "product_id": PRODUCT, "atp": 1},
        ]
    )
    ctx.cleanup(
        lambda: ctx.oms.set_stock(
            [
                {"fulfillment_location": node, "product_id": PRODUCT, "atp": units}
                for node, units in OMS_STOCK.items()
            ]
        )
    )


def _endless_aisle_order(ctx: ScenarioContext, service_level: str) -> dict[str, Any]:
    """An endless-aisle order placed and paid in the platform (the checkout's answer)."""
    cart = ctx.require_status(
        "a cart is opened in the store",
        ctx.platform.post(
            "/checkout/carts",
            json={
                "associate_id": ASSOCIATE,
                "catalog": "storefront-catalog-en",
                "channel_id": "store-new-york",
                "currency": "USD",
                "locale": "en_US",
                "customer_email": f"{ctx.unique('store')}@example.com",
                "customer_name": "Jane Doe",
            },
        ),
        201,
    )
    ctx.require_status(
        "the product is added for shipping",
        ctx.platform.post(
            f"/checkout/carts/{cart['id']}/items",
            json={"product_id": PRODUCT, "fulfillment": "SHIPPING"},
        ),
        201,
    )
    ctx.require_status(
        f"the address and service level {service_level} are set",
        ctx.platform.patch(
            f"/checkout/carts/{cart['id']}",
            json={"shipping_address": ADDRESS, "service_level": service_level},
        ),
        200,
    )
    placed: dict[str, Any] = ctx.require_status(
        "the order is paid and placed",
        ctx.platform.post(
            f"/checkout/carts/{cart['id']}/checkout",
            json={"payments": [{"method": "credit_card", "token": "tok_visa"}]},
            headers={"Idempotency-Key": ctx.unique(f"checkout-{uuid.uuid4().hex[:6]}")},
        ),
        201,
    )
    return placed


def _injected(ctx: ScenarioContext, number: str, attempt: int) -> dict[str, Any]:
    """The OMS's store fulfillment ``attempt`` of order ``number``, once the platform took it."""

    def probe() -> dict[str, Any] | None:
        for injection in ctx.oms.injections(order_id=number):
            if injection.get("attempt") == attempt and injection.get("platform_order_id"):
                return injection
        return None

    found = ctx.wait_until(probe, timeout=30)
    ctx.require(
        f"the OMS routes it to a store and injects it (attempt {attempt})",
        expected=f"{number}-R{attempt} injected",
        observed=(f"{found['external_id']} at {found['location']}" if found else "nothing"),
        passed=found is not None,
    )
    assert found is not None
    return found


def _store_request(ctx: ScenarioContext, injection: dict[str, Any]) -> dict[str, Any]:
    order_id = injection["platform_order_id"]
    listed = ctx.require_status(
        "the platform assigned a fulfillment request",
        ctx.platform.get(f"/v0/fulfillment_requests/{order_id}"),
        200,
    )
    requests = listed.get("fulfillment_requests", [])
    ctx.require(
        "one request, at the store the OMS chose",
        expected=injection["location"],
        observed=[r.get("fulfillment_node_id") for r in requests],
        passed=len(requests) == 1 and requests[0]["fulfillment_node_id"] == injection["location"],
    )
    store = STORE_OF.get(injection["location"], injection["location"])
    queue = ctx.require_status(
        f"the request is in {store}'s queue",
        ctx.platform.get(f"/v0/stores/{store}/fulfillment_requests"),
        200,
    )
    mine = [
        r for r in queue["fulfillment_requests"] if r["id"] == requests[0]["fulfillment_request_id"]
    ]
    ctx.require(
        "the store sees the OMS's order number",
        expected=injection["external_id"],
        observed=mine[0]["external_order_id"] if mine else "not in the queue",
        passed=bool(mine) and mine[0]["external_order_id"] == injection["external_id"],
    )
    found: dict[str, Any] = mine[0]
    return found


def _request_path(request: dict[str, Any]) -> str:
    """The store's view of a fulfillment request, where the associate acts on it."""
    return f"/v0/stores/{request['store_id']}/fulfillment_requests/{request['id']}"


def _act(ctx: ScenarioContext, request: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    view: dict[str, Any] = ctx.require_status(
        f"the associate: {action.replace('_', ' ')}",
        ctx.platform.post(
            f"{_request_path(request)}/{action}", json={"associate_id": ASSOCIATE, **body}
        ),
        200,
    )
    return view


def _document(ctx: ScenarioContext, request: dict[str, Any], name: str) -> None:
    response = ctx.platform.get(f"{_request_path(request)}/documents/{name}")
    is_pdf = response.status_code == 200 and response.content.startswith(b"%PDF")
    ctx.check(
        f"the {name.replace('_', ' ')} is a PDF showing the external order id",
        expected=f"PDF titled with {request['external_order_id']}",
        observed=f"{response.status_code} {response.headers.get('content-type')}",
        passed=is_pdf and request["external_order_id"].encode() in response.content,
    )


def _ship(ctx: ScenarioContext, request: dict[str, Any]) -> dict[str, Any]:
    for action in ("start", "pick", "pack"):
        request = _act(ctx, request, action)
    request = _act(ctx, request, "ship")
    ctx.check(
        "the carrier booked it: a tracking code",
        expected="a tracking code",
        observed=request.get("tracking_code"),
        passed=bool(request.get("tracking_code")),
    )
    _document(ctx, request, "shipping_label")
    bookings = [
        call
        for call in ctx.carrier.calls("book_shipment")
        if (call.get("request") or {}).get("external_order_id") == request["external_order_id"]
    ]
    ctx.require(
        "the carrier was asked with the external order id",
        expected=request["external_order_id"],
        observed=len(bookings),
        passed=bool(bookings),
    )
    shipment_id = bookings[-1]["response"]["shipment_id"]
    ctx.carrier.admin("POST", f"/shipments/{shipment_id}/events", json={"status": "picked_up"})
    path = _request_path(request)
    handover = ctx.platform.post(f"{path}/handover", json={"associate_id": ASSOCIATE})
    if handover.status_code != 409:
        view: dict[str, Any] = ctx.require_status("the associate: handover", handover, 200)
        return view
    # The platform also asks the carrier on its own schedule: when that confirmation came
    # first, the request is completed already and the associate's handover is refused.
    current: dict[str, Any] = ctx.require_status("the request", ctx.platform.get(path), 200)
    ctx.require(
        "the associate: handover, or the carrier's pickup confirmed first",
        expected="200, or 409 with the request completed",
        observed=f"409, the request {current.get('status')}",
        passed=current.get("status") == "completed",
    )
    return current


def _completed_at_oms(ctx: ScenarioContext, order_id: str, after: int) -> None:
    event = ctx.wait_for_oms_event(
        "order.completed", lambda e: e["payload"].get("id") == order_id, after=after, timeout=30
    )
    ctx.check(
        "the OMS hears order.completed",
        expected="order.completed",
        observed=event["name"] if event else "nothing",
        passed=event is not None,
    )


def run_pickup(ctx: ScenarioContext) -> None:
    _only_in_stores(ctx)
    after = ctx.oms.last_event_sequence()
    placed = _endless_aisle_order(ctx, "InStorePickup")
    injection = _injected(ctx, placed["order_number"], 1)
    request = _store_request(ctx, injection)
    ctx.expect("it is a pick-up in store", "pickup", request["kind"])
    _document(ctx, request, "pick_list")
    for action in ("start", "pick", "pack"):
        request = _act(ctx, request, action)
    request = _act(ctx, request, "ready_for_pickup")
    ctx.check(
        "a pickup code for the customer",
        expected="6 characters",
        observed=request.get("pickup_code"),
        passed=len(request.get("pickup_code") or "") == 6,
    )
    _document(ctx, request, "pickup_label")
    request = _act(ctx, request, "handover", pickup_code=request["pickup_code"])
    ctx.expect("the request is completed", "completed", request["status"])
    _completed_at_oms(ctx, injection["platform_order_id"], after)


def run_ship(ctx: ScenarioContext) -> None:
    _only_in_stores(ctx)
    after = ctx.oms.last_event_sequence()
    placed = _endless_aisle_order(ctx, "Priority")
    injection = _injected(ctx, placed["order_number"], 1)
    request = _store_request(ctx, injection)
    ctx.expect("it is shipped from the store", "ship", request["kind"])
    request = _ship(ctx, request)
    ctx.expect("the carrier's pickup completes the request", "completed", request["status"])
    _completed_at_oms(ctx, injection["platform_order_id"], after)


def run_mispick_reroute(ctx: ScenarioContext) -> None:
    _only_in_stores(ctx)
    after = ctx.oms.last_event_sequence()
    placed = _endless_aisle_order(ctx, "Priority")
    first = _injected(ctx, placed["order_number"], 1)
    request = _store_request(ctx, first)
    request = _act(ctx, request, "start")
    item = request["items"][0]["item_id"]
    failed = _act(ctx, request, "mispick", item_ids=[item], note="not on the shelf")
    ctx.expect("the request fails: mispick", "failed mispick", f"{failed['status']} "
               f"{failed['failure_reason']}")  # fmt: skip
    event = ctx.wait_for_oms_event(
        "order.cancelled",
        lambda e: e["payload"].get("id") == first["platform_order_id"],
        after=after,
        timeout=30,
    )
    ctx.require(
        "the OMS hears order.cancelled with the reason",
        expected="mispick",
        observed=event["payload"].get("reason_code") if event else "nothing",
        passed=event is not None and event["payload"].get("reason_code") == "mispick",
    )
    second = _injected(ctx, placed["order_number"], 2)
    ctx.check(
        "the OMS re-routed it to another store under a new number",
        expected=f"{placed['order_number']}-R2 at US02",
        observed=f"{second['external_id']} at {second['location']}",
        passed=second["location"] != first["location"]
        and second["external_id"] != first["external_id"],
    )
    request = _store_request(ctx, second)
    request = _ship(ctx, request)
    ctx.expect("the other store completes it", "completed", request["status"])
    _completed_at_oms(ctx, second["platform_order_id"], after)


# --- injection ------------------------------------------------------------------------------


def _injection(ctx: ScenarioContext, number: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "external_id": number,
        "shop": "storefront-catalog-en",
        "shop_locale": "en-US",
        "channel_type": "web",
        "channel_name": "external-oms",
        "currency": "USD",
        "price_method": "tax_included",
        "customer_name": "Jane Doe",
        "shipping_address": ADDRESS,
        "shipments": [
            {
                "items": [
                    {
                        "external_item_id": "L1",
                        "product_id": ctx.unique("P"),
                        "price": {
                            "item_price": 20.0,
                            "item_list_price": 20.0,
                            "item_tax_lines": [],
                        },
                    }
                ],
                "shipping_option": {"service_level_identifier": "Priority", "price": 0, "tax": 0},
            }
        ],
    }
    payload.update(changes)
    return payload


def run_unknown_location(ctx: ScenarioContext) -> None:
    after = ctx.oms.last_event_sequence()
    number = ctx.unique("UNKNOWN-LOC")
    location = ctx.unique("NOWHERE")
    payload = _injection(ctx, number)
    payload["shipments"][0]["shipping_option"]["routing_strategy"] = {
        "strategy": "external",
        "fulfillment_node_id": location,
    }
    body = ctx.require_status(
        f"an order routed to {location} is accepted",
        ctx.platform.post("/v0/d/fulfill_order", json=payload),
        200,
    )
    event = ctx.wait_for_oms_event(
        "order.cancelled", lambda e: e["payload"].get("id") == body["id"], after=after
    )
    ctx.require(
        "it is cancelled, order.cancelled names the reason",
        expected="failed_fulfillment_node_mapping",
        observed=event["payload"].get("reason_code") if event else "no order.cancelled",
        passed=event is not None
        and event["payload"].get("reason_code") == "failed_fulfillment_node_mapping",
    )
    order = ctx.require_status(
        "the order reads back",
        ctx.platform.get(f"/v0/orders/{body['id']}", params={"id_type": "internal"}),
        200,
    )
    ctx.expect(
        "its items are cancelled",
        ["cancelled"],
        sorted({item["status"] for item in order.get("items", [])}),
    )
    requests = ctx.require_status(
        "fulfillment requests are read",
        ctx.platform.get(f"/v0/fulfillment_requests/{body['id']}"),
        200,
    )
    ctx.expect("no store was asked to fulfil it", [], requests.get("fulfillment_requests"))


def run_idempotent(ctx: ScenarioContext) -> None:
    number = ctx.unique("POS")
    payload = _injection(
        ctx,
        number,
        channel_type="store",
        store_id="store-new-york",
        is_fulfilled=True,
        payments=[
            {
                "processor": "cash",
                "correlation_ref": "CASH-1",
                "type": "captured",
                "amount": 20.0,
                "method": "cash",
                "processed_at": "2024-03-01T10:00:00Z",
            }
        ],
    )
    payload["shipments"][0]["shipping_option"]["service_level_identifier"] = "IN_STORE_HANDOVER"
    first = ctx.platform.post("/v0/d/fulfill_order", json=payload)
    body = ctx.require_status("an order is injected", first, 200)
    again = ctx.platform.post(
        "/v0/d/fulfill_order",
        content=json.dumps(payload, indent=1, sort_keys=True),
        headers={"Content-Type": "application/json"},
    )
    identical = "identical" if again.content == first.content else "different"
    ctx.check(
        "the same payload again: the same answer, byte for byte",
        expected="200, identical body",
        observed=f"{again.status_code}, {identical}",
        passed=again.status_code == 200 and again.content == first.content,
    )

    def send(_: int) -> httpx.Response:
        return ctx.platform.post("/v0/d/fulfill_order", json=payload)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(16)))
    same = sum(1 for a in answers if a.status_code == 200 and a.content == first.content)
    ctx.expect("16 concurrent retries get the same answer", 16, same)
    changed = dict(payload, customer_name="Someone Else")
    refused = ctx.platform.post("/v0/d/fulfill_order", json=changed)
    code = refused.json().get("error_code") if refused.status_code == 400 else None
    ctx.check(
        "a different payload under the same external_id is refused",
        expected="400 same_order_injection_with_different_data",
        observed=f"{refused.status_code} {code}",
        passed=code == "same_order_injection_with_different_data",
    )
    order = ctx.require_status(
        "the order reads back",
        ctx.platform.get(f"/v0/orders/{body['id']}", params={"id_type": "internal"}),
        200,
    )
    ctx.check(
        "one order under the number, the first injection's, unchanged",
        expected=f"{number} for Jane Doe",
        observed=f"{order.get('id')} for {(order.get('customer') or {}).get('name')}",
        passed=order.get("id") == number
        and (order.get("customer") or {}).get("name") == "Jane Doe",
    )


PICKUP = Scenario(
    "store_fulfillment_pickup",
    "Store fulfillment: pick-up in store, from the OMS's injection to order.completed",
    run_pickup,
    requires=("oms", "psp"),
)
SHIP = Scenario(
    "store_fulfillment_ship",
    "Store fulfillment: ship from store with the carrier, to order.completed",
    run_ship,
    requires=("oms", "psp", "carrier"),
)
MISPICK_REROUTE = Scenario(
    "store_fulfillment_mispick_reroute",
    "Store fulfillment: a mispick cancels the order, the OMS re-routes it to another store",
    run_mispick_reroute,
    requires=("oms", "psp", "carrier"),
)
UNKNOWN_LOCATION = Scenario(
    "injection_unknown_location",
    "Order injection: an unknown fulfillment location cancels the order",
    run_unknown_location,
    requires=("oms",),
)
IDEMPOTENT = Scenario(
    "injection_idempotent",
    "Order injection: idempotent on external_id",
    run_idempotent,
)
