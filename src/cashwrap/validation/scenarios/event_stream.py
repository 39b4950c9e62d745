"""The event stream reaches the OMS (seed: "Enable endless-aisle by integrating with the event
stream to receive orders"; "All orders flow to the external OMS").

Steps: an integration whose callback is the OMS is running; every event the platform delivered
to it is in the OMS's log, none was rejected or dead-lettered; and — when the platform offers
order injection — a real order's ``order.created`` makes the round trip: injected through the
SDK's client, delivered, signed and verified, and the OMS holds the order with ``origin_id`` =
the platform's order id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cashwrap.validation.runner import Scenario, ScenarioContext

BASE = "/api/v1/org/integrations/eventstream"


def _integration(ctx: ScenarioContext) -> dict[str, Any]:
    listed = ctx.require_status("the integrations are listed", ctx.platform.get(BASE))
    oms_url = ctx.oms.url.rstrip("/")
    ours = [
        integration
        for integration in listed.get("integrations", [])
        if str((integration.get("callback_parameters") or {}).get("callback_url", "")).startswith(
            oms_url
        )
    ]
    running = [integration for integration in ours if integration.get("status") == "running"]
    ctx.require(
        "an integration delivers to the OMS and is running",
        expected=f"status running, callback under {oms_url}",
        observed=[(i.get("id"), i.get("status")) for i in ours] or "none",
        passed=bool(running),
    )
    first: dict[str, Any] = running[0]
    return first


def run(ctx: ScenarioContext) -> None:
    integration = _integration(ctx)
    path = f"{BASE}/{integration['id']}"
    stats = ctx.require_status(
        "the integration's stats are read", ctx.platform.get(f"{path}/stats")
    )
    deliveries = stats.get("deliveries", {})
    ctx.check(
        "no event was rejected or dead-lettered by the OMS",
        expected={"rejected": 0, "dead_lettered": 0},
        observed={
            "rejected": deliveries.get("rejected", 0),
            "dead_lettered": deliveries.get("dead_lettered", 0),
        },
        passed=not deliveries.get("rejected") and not deliveries.get("dead_lettered"),
    )
    delivered = ctx.require_status(
        "the latest delivered publications are listed",
        ctx.platform.get(f"{path}/publications", params={"status": "delivered", "count": 200}),
    )
    event_ids = {publication["event_id"] for publication in delivered.get("events", [])}
    received = {event["idempotency_key"] for event in ctx.oms.events()}
    missing = sorted(event_ids - received)
    ctx.check(
        "every event the platform delivered is in the OMS's log",
        expected=f"{len(event_ids)} delivered, 0 missing at the OMS",
        observed=f"{len(event_ids)} delivered, {len(missing)} missing"
        + (f" (e.g. {missing[0]})" if missing else ""),
        passed=not missing,
    )
    _round_trip(ctx)


def _round_trip(ctx: ScenarioContext) -> None:
    """An in-store order injected, its ``order.created`` received and applied by the OMS."""
    probe = ctx.platform.post("/v0/d/fulfill_order", json={})
    if probe.status_code in (404, 405):
        return  # this platform has no order injection yet: nothing to place an order with
    product = _a_product(ctx)
    store = _a_store(ctx)
    if product is None or store is None:
        ctx.check(
            "a product and a store to place an order with",
            expected="a product in the OMS's stock and a store on the platform",
            observed=f"product={product} store={store}",
            passed=False,
        )
        return
    since = ctx.oms.last_event_sequence()
    external_id = ctx.unique("VALIDATE-EVT").upper()
    order = {
        "external_id": external_id,
        "shop": "storefront-catalog-en",
        "shop_locale": "en-US",
        "channel_type": "store",
        "channel_name": "cashwrap-validate",
        "store_id": store,
        "currency": "USD",
        "price_method": "tax_included",
        "is_preconfirmed": True,
        "is_fulfilled": True,
        "placed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "customer_email": f"{external_id.lower()}@example.com",
        "shipments": [
            {
                "items": [
                    {
                        "external_item_id": "L1",
                        "product_id": product,
                        "price": {
                            "item_price": 10.0,
                            "item_list_price": 10.0,
                            "item_tax_lines": [],
                        },
                    }
                ],
                "shipping_option": {
                    "service_level_identifier": "IN_STORE_HANDOVER",
                    "price": 0,
                    "tax": 0,
                },
            }
        ],
        "payments": [
            {
                "processor": "cash",
                "correlation_ref": external_id,
                "type": "captured",
                "amount": 10.0,
                "method": "cash",
                "processed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        ],
    }
    injected = ctx.require_status(
        "an in-store order is injected (POST /v0/d/fulfill_order)",
        ctx.platform.post("/v0/d/fulfill_order", json=order),
        200,
    )
    order_id = injected["id"]
    event = ctx.wait_for_oms_event(
        "order.created", lambda e: e["payload"].get("id") == order_id, after=since
    )
    ctx.check(
        "its order.created reaches the OMS, verified and handled once",
        expected="received, outcome handled",
        observed=f"received, outcome {event['outcome']}" if event else "not received in 20 s",
        passed=event is not None and event["outcome"] == "handled",
    )
    held = ctx.wait_until(lambda: ctx.oms.order(external_id), timeout=5)
    ctx.check(
        "the OMS holds the order, origin_id = the platform's order id",
        expected={"id": external_id, "origin_id": order_id},
        observed={"id": held.get("id"), "origin_id": held.get("origin_id")} if held else "none",
        passed=held is not None and held.get("origin_id") == order_id,
    )


def _a_product(ctx: ScenarioContext) -> str | None:
    stock = ctx.oms.admin("GET", "/stock").get("stock", [])
    products = sorted(
        {entry["product_id"] for entry in stock if not entry["product_id"].startswith("validate")}
    )
    return products[0] if products else None


def _a_store(ctx: ScenarioContext) -> str | None:
    response = ctx.platform.get("/stores", params={"limit": 1})
    if response.status_code != 200:
        return None
    stores = response.json().get("stores") or response.json().get("items") or []
    return str(stores[0]["id"]) if stores else None


SCENARIO = Scenario(
    "event_stream",
    "The platform's events reach the OMS (and an order's order.created makes the round trip)",
    run,
    requires=("oms",),
)
