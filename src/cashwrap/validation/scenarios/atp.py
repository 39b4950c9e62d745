"""ATP from the external OMS (seed: "Retrieving ATP for products from an external OMS").

``atp_from_oms``: with the ATP webhook and ``uses_external_atp`` configured, the platform asks
the OMS and answers with the OMS's numbers; a cart that the OMS can serve is available.

``atp_failure_modes``: "If the webhook request fails, or the external OMS is unavailable,
NewStore assumes that no items are available" — for each way the OMS can fail (slower than the
webhook's timeout, down, erroring, answering garbage or the wrong shape) the platform answers
200 with every item unavailable and the reason, and the cart is "Products not available";
never an error. The faults are dialed on the sandbox OMS and cleared afterwards; "down" points
the webhook at a closed port for a moment and puts it back.

Both use a product id of their own (``validate-atp-<run>``) so that they leave the demo's
stock alone.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

from cashwrap.validation.runner import Scenario, ScenarioContext

# How long a configuration change may take to reach ATP answers (the platform reuses a
# tenant's webhook settings for CASHWRAP_ATP_CONFIG_CACHE_SECONDS, 1 s by default).
CONFIG_PROPAGATION_SECONDS = 5.0


@dataclass(frozen=True)
class Route:
    service_level: str
    country: str
    zip_code: str
    nodes: list[str]


def _route(ctx: ScenarioContext) -> Route:
    body = ctx.require_status(
        "the fulfillment configuration is readable", ctx.platform.get("/v0/config/fulfillment")
    )
    config = body.get("fulfillment_config", {})
    for route in config.get("routes", []):
        region = route.get("destination_region", {})
        countries = region.get("countries") or []
        zips = region.get("zip_codes") or ["*"]
        for level in config.get("sl_levels_priority", []):
            nodes = [n["fulfillment_node_id"] for n in route.get("fulfilled_by", {}).get(level, [])]
            if countries and nodes:
                pattern = str(zips[0])
                zip_code = "10001" if pattern == "*" else pattern.replace("*", "0")
                return Route(level, countries[0], zip_code, nodes)
    ctx.require(
        "a route with fulfillment nodes",
        expected="a route naming at least one node for a service level",
        observed="none",
        passed=False,
    )
    raise AssertionError("unreachable")


def _prepare(ctx: ScenarioContext) -> tuple[str, Route]:
    switch = ctx.require_status(
        "uses_external_atp is read", ctx.platform.get("/v0/config/routing/uses_external_atp")
    )
    ctx.require(
        "ATP comes from the external OMS (uses_external_atp)",
        expected=True,
        observed=switch.get("value"),
        passed=switch.get("value") is True,
    )
    webhook = ctx.platform.get("/v0/config/availability_webhook")
    ctx.require(
        "the ATP webhook is registered",
        expected="200 with the OMS's url",
        observed=f"{webhook.status_code} {webhook.json().get('url') if webhook.content else ''}",
        passed=webhook.status_code == 200,
    )
    route = _route(ctx)
    product = ctx.unique("validate-atp")
    ctx.cleanup(lambda: ctx.oms.remove_stock(product))
    return product, route


def _atp(ctx: ScenarioContext, product: str, locations: list[str]) -> dict[str, dict[str, Any]]:
    response = ctx.platform.post(
        "/v0/availability",
        json={"products": [{"product_id": product}], "fulfillment_locations": locations},
    )
    if response.status_code != 200:
        return {"_status": {"status": response.status_code, "body": response.text[:300]}}
    return {
        entry["fulfillment_location"]: entry
        for entry in response.json()["availabilities"]
        if entry["product_id"] == product
    }


def _cart(ctx: ScenarioContext, product: str, quantity: int, route: Route) -> Any:
    return ctx.platform.post(
        "/v0/availability/cart",
        json={
            "lines": [{"product_id": product, "quantity": quantity}],
            "service_level": route.service_level,
            "destination": {"country": route.country, "zip_code": route.zip_code},
        },
    )


def run_atp(ctx: ScenarioContext) -> None:
    product, route = _prepare(ctx)
    first, others = route.nodes[0], route.nodes[1:]
    ctx.oms.set_stock(
        [{"fulfillment_location": first, "product_id": product, "atp": 7}]
        + [{"fulfillment_location": node, "product_id": product, "atp": 0} for node in others]
    )
    since = ctx.oms.last_call_sequence()
    answer = _atp(ctx, product, route.nodes)
    observed = {node: (entry.get("atp"), entry.get("source")) for node, entry in answer.items()}
    wanted = {first: (7, "external")} | dict.fromkeys(others, (0, "external"))
    ctx.expect(f"ATP of {product} per location, from the OMS", wanted, observed)
    asked = [
        call
        for call in ctx.oms.calls("availability", after=since)
        if any(p.get("product_id") == product for p in (call["request"] or {}).get("products", []))
    ]
    ctx.check(
        "the platform asked the OMS (one call, with its API key)",
        expected="1 authorized call to the availability webhook",
        observed=f"{len(asked)} call(s), authorized: {[c['authorized'] for c in asked]}",
        passed=len(asked) == 1 and all(call["authorized"] for call in asked),
    )
    cart = _cart(ctx, product, 2, route)
    body = cart.json() if cart.status_code == 200 else {}
    shipments = [s.get("fulfillment_node_id") for s in body.get("shipments", [])]
    ctx.check(
        f"a cart of 2 × {product} ({route.service_level} to {route.country}) is available",
        expected=f"available, one shipment from {first}",
        observed=f"{cart.status_code} available={_json(body.get('available'))} "
        f"shipments={_json(shipments)}",
        passed=body.get("available") is True and shipments == [first],
    )
    cart = _cart(ctx, product, 8, route)
    body = cart.json() if cart.status_code == 200 else {}
    codes = [p.get("error_code") for p in body.get("problems", [])]
    ctx.check(
        "a cart of 8 (more than the OMS promises) is not available",
        expected="quantity_partially_unavailable",
        observed=f"{cart.status_code} available={_json(body.get('available'))} problems={codes}",
        passed=body.get("available") is False and codes == ["quantity_partially_unavailable"],
    )


@dataclass(frozen=True)
class FailureMode:
    name: str
    reason: str
    fault: dict[str, Any] | None  # dialed on the OMS's availability operation


def _json(value: Any) -> str:
    return json.dumps(value)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run_failure_modes(ctx: ScenarioContext) -> None:
    product, route = _prepare(ctx)
    webhook = ctx.platform.get("/v0/config/availability_webhook").json()
    timeout = int(webhook.get("timeout", 15))
    ctx.oms.set_stock(
        [{"fulfillment_location": node, "product_id": product, "atp": 5} for node in route.nodes]
    )
    ctx.cleanup(lambda: ctx.oms.clear_fault("availability"))

    # Slow, but within the timeout: still answered.
    ctx.oms.dial("availability", kind="latency", delay_ms=300)
    answer = _atp(ctx, product, route.nodes)
    ctx.expect(
        "OMS slow (300 ms) but within the webhook's timeout: answered",
        dict.fromkeys(route.nodes, (5, None)),
        {node: (e.get("atp"), e.get("reason")) for node, e in answer.items()},
    )

    modes = [
        FailureMode(
            f"slower than the webhook's timeout ({timeout} s)",
            "timeout",
            {"kind": "timeout", "delay_ms": (timeout + 3) * 1000},
        ),
        FailureMode("erroring (500)", "http_500", {"kind": "error", "status": 500}),
        FailureMode("answering garbage (an HTML page)", "invalid_json", {"kind": "malformed"}),
        FailureMode(
            "answering JSON of the wrong shape",
            "invalid_payload",
            {
                "kind": "malformed",
                "body": '{"availability": "lots"}',
                "media_type": "application/json",
            },
        ),
        FailureMode("down (nothing listens)", "refused", None),
    ]
    for mode in modes:
        if mode.fault is not None:
            ctx.oms.dial("availability", **mode.fault)
        else:
            down = dict(webhook, url=f"http://127.0.0.1:{_closed_port()}/availabilities")
            ctx.require_status(
                "point the ATP webhook at a closed port",
                ctx.platform.put("/v0/config/availability_webhook", json=down),
            )
            ctx.cleanup(
                lambda: ctx.platform.put(
                    "/v0/config/availability_webhook", json=webhook
                ).raise_for_status()
            )
        _expect_unavailable(ctx, mode, product, route)
        if mode.fault is not None:
            ctx.oms.clear_fault("availability")
        else:
            ctx.platform.put("/v0/config/availability_webhook", json=webhook).raise_for_status()

    # The OMS is back: answered again.
    answer = _wait_for(ctx, product, route, reason=None)
    ctx.expect(
        "OMS healthy again: answered",
        dict.fromkeys(route.nodes, (5, None)),
        {node: (e.get("atp"), e.get("reason")) for node, e in answer.items()},
    )


def _wait_for(
    ctx: ScenarioContext, product: str, route: Route, *, reason: str | None
) -> dict[str, dict[str, Any]]:
    """ATP answers until every entry carries ``reason`` (configuration changes take up to
    CONFIG_PROPAGATION_SECONDS to be seen); the last answer."""
    deadline = time.monotonic() + CONFIG_PROPAGATION_SECONDS
    while True:
        answer = _atp(ctx, product, route.nodes)
        done = bool(answer) and all(e.get("reason") == reason for e in answer.values())
        if done or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def _expect_unavailable(
    ctx: ScenarioContext, mode: FailureMode, product: str, route: Route
) -> None:
    answer = _wait_for(ctx, product, route, reason=mode.reason)
    observed = {node: (e.get("atp"), e.get("reason")) for node, e in answer.items()}
    ctx.expect(
        f"OMS {mode.name}: ATP answered 200, every item unavailable",
        dict.fromkeys(route.nodes, (0, mode.reason)),
        observed,
    )
    cart = _cart(ctx, product, 1, route)
    body = cart.json() if cart.status_code == 200 else {}
    problems = [[p.get("error_code"), p.get("reason")] for p in body.get("problems", [])]
    ctx.check(
        f'OMS {mode.name}: the cart is "Products not available"',
        expected=f'200 available=false [["quantity_unavailable", "{mode.reason}"]]',
        observed=f"{cart.status_code} available={_json(body.get('available'))} {_json(problems)}",
        passed=cart.status_code == 200
        and body.get("available") is False
        and problems == [["quantity_unavailable", mode.reason]],
    )


SCENARIO = Scenario(
    "atp_from_oms", "ATP comes from the external OMS's stock", run_atp, requires=("oms",)
)
FAILURE_MODES = Scenario(
    "atp_failure_modes",
    "OMS slow, down, erroring or answering garbage: items unavailable, never an error",
    run_failure_modes,
    requires=("oms",),
)
