"""The demo tenant's set-up, done the way an integrator does it: through the platform's APIs.

Every step is idempotent (``PUT`` of whole documents, imports of absolute quantities), so the
demo can be started again over its own data. In the seed's order of pre-requisites:

1. external OMS on; sales orders on (numbers ``CW-…``);
2. the catalog and the fulfillment locations (a store mapping and availabilities for US01,
   US02 — stores — and DC01 — the OMS's distribution centre) through the Import API;
3. the external order webhook → the sandbox OMS;
4. Associate App: ``use_new_om_ui``, mixed carts (and on both stores);
5. payments: ``use_charge_api``, refund options ``original`` + ``external`` (+ cards), the
   payment provider webhook → the sandbox PSP;
6. the shipping adapter → the sandbox carrier; the fulfillment configuration (service levels
   Priority, Express, InStorePickup; one US route naming the three locations);
7. the ATP webhook → the sandbox OMS and ``uses_external_atp``;
8. order injection: ``skip_soft_routing_on_injection``;
9. the event stream: an integration delivering to the OMS's ``/events`` (registered again when
   the OMS does not hold its signing secret), and the OMS told where the platform is;
10. the OMS's own stock; then the doctor.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cashwrap.sdk.auth import PlatformAuth

INTEGRATION_ID = "sandbox-oms"
SHOP = "storefront-catalog-en"

PRODUCTS = [
    ("1000061", "Organic cotton tee", 29.00),
    ("1000062", "Linen shirt", 79.00),
    ("1000761", "Kate dress", 88.00),
    ("10000211", "Wool scarf", 45.00),
    ("10000212", "Leather belt", 59.00),
    ("10000213", "Canvas tote", 35.00),
]
STORES = [
    {"store_id": "store-new-york", "fulfillment_node_id": "US01", "country_code": "US",
     "description": "Dodici New York", "timezone": "America/New_York"},
    {"store_id": "store-boston", "fulfillment_node_id": "US02", "country_code": "US",
     "description": "Dodici Boston", "timezone": "America/New_York"},
]  # fmt: skip
DC = "DC01"
LOCATIONS = ["US01", "US02", DC]
# The platform's stock is the stores' inventory (the platform is inventory master in stores);
# the OMS's stock is what it promises (its DC and what it knows of the stores).
PLATFORM_STOCK = {"US01": 20, "US02": 20, DC: 0}
OMS_STOCK = {"US01": 10, "US02": 10, DC: 50}


class SetupError(RuntimeError):
    """A set-up call did not answer as expected (the message names the call)."""


@dataclass(frozen=True)
class DemoTargets:
    platform: str
    tenant: str
    client_id: str
    client_secret: str
    oms: str
    psp: str
    carrier: str
    sandbox_key: str
    state_dir: Path


def _service_level(name: str, price: float, delivery_time: str) -> dict[str, Any]:
    return {
        "currency_code": "USD",
        "delivery_time": delivery_time,
        "delivery_time_after_cutoff_hour": "",
        "display_name": name,
        "price": price,
        "remorse_period": 0,
        "tax_code": "",
    }


def _provider_rate(level: str, carrier: str, shipping_type: str) -> dict[str, Any]:
    return {
        "return_provider_rate": "",
        "service_level": level,
        "shipping_carrier_name": carrier,
        "shipping_type": shipping_type,
        "use_as_customer_facing_cost": False,
    }


LEVELS = {
    "Priority": (_service_level("Priority", 0, "2-4 business days"), "USPS", "traditional_carrier"),
    "Express": (_service_level("Express", 15, "1 business day"), "UPS", "traditional_carrier"),
    "InStorePickup": (
        _service_level("In-store pickup", 0, "same day"),
        "STORE",
        "in_store_pick_up",
    ),
}
FULFILLMENT_CONFIG = {
    "fulfillment_config": {
        "service_levels": {name: level for name, (level, _, _) in LEVELS.items()},
        "provider_rates": {
            name: _provider_rate(name, carrier, kind) for name, (_, carrier, kind) in LEVELS.items()
        },
        "routes": [
            {
                "destination_region": {"countries": ["US"], "zip_codes": ["*"]},
                "fulfilled_by": {
                    name: [
                        {"fulfillment_node_id": node, "provider_rate": name} for node in LOCATIONS
                    ]
                    for name in LEVELS
                },
            }
        ],
        "sl_levels_priority": list(LEVELS),
    }
}


class _Api:
    def __init__(self, client: httpx.Client, name: str) -> None:
        self.client, self.name = client, name

    def call(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kw: Any) -> Any:
        try:
            response = self.client.request(method, path, **kw)
        except httpx.HTTPError as error:
            raise SetupError(f"{method} {self.name}{path}: {error}") from None
        if response.status_code not in expect:
            raise SetupError(
                f"{method} {self.name}{path} answered {response.status_code}: {response.text[:400]}"
            )
        return response.json() if response.content else None


def _zip(state_dir: Path) -> Path:
    """The demo catalog, store mappings and availabilities, as the Import API reads them."""
    path = state_dir / "demo-catalog.zip"
    products = [
        {
            "product_id": product_id,
            "title": title,
            "shop": SHOP,
            "locale": "en-US",
            "brand": "Dodici",
            "prices": [{"pricebook": "default", "currency": "USD", "value": price}],
        }
        for product_id, title, price in PRODUCTS
    ]
    availabilities = [
        {"fulfillment_node_id": node, "product_id": product_id, "quantity": quantity}
        for node, quantity in PLATFORM_STOCK.items()
        for product_id, _, _ in PRODUCTS
    ]
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in (
            ("products.jsonl", products),
            ("store_mapping.jsonl", STORES),
            ("availabilities.jsonl", availabilities),
        ):
            archive.writestr(name, "".join(json.dumps(line) + "\n" for line in lines))
    return path


def _import(api: _Api, state_dir: Path) -> dict[str, Any]:
    job = api.call(
        "POST",
        "/v0/d/import",
        expect=(200, 201),
        json={
            "provider": "cashwrap-demo",
            "source_uri": str(_zip(state_dir)),
            "entities": ["products", "availabilities"],
            "full_import": False,
            "name": "demo catalog and stock",
        },
    )
    job = api.call("POST", f"/v0/d/import/{job['id']}/start", expect=(200, 202))
    deadline = time.monotonic() + 60
    while job["status"] in ("received", "processing"):
        if time.monotonic() > deadline:
            raise SetupError(f"the demo import {job['id']} did not finish in 60 s")
        time.sleep(0.2)
        job = api.call("GET", f"/v0/d/import/{job['id']}")
    if job["status"] != "finished" or job.get("errors"):
        raise SetupError(f"the demo import failed: {json.dumps(job)[:600]}")
    result: dict[str, Any] = job
    return result


def _event_stream(api: _Api, oms: _Api, targets: DemoTargets) -> str:
    """The integration delivering to the OMS; returns how it was settled."""
    callback = f"{targets.oms}/events"
    listed = api.call("GET", "/api/v1/org/integrations/eventstream").get("integrations", [])
    existing = next((i for i in listed if i.get("id") == INTEGRATION_ID), None)
    known = oms.client.get("/_sandbox/platform")
    current = known.json() if known.status_code == 200 else {}
    platform = {
        "url": targets.platform,
        "tenant": targets.tenant,
        "client_id": targets.client_id,
        "client_secret": targets.client_secret,
    }
    # Keep a working integration: its signing secret is shown only once, at registration, and
    # the OMS holds it. Anything else (first run, other ports, other credentials): register
    # again and give the OMS the new secret.
    callback_parameters = (existing or {}).get("callback_parameters") or {}
    if (
        existing is not None
        and callback_parameters.get("callback_url") == callback
        # The key reads "…c57d": its end tells whether the OMS still has the same key.
        and str(callback_parameters.get("api_key", "")).endswith(targets.sandbox_key[-4:])
        and current.get("signing_secret") == "REDACTED"
        and current.get("url") == targets.platform
        and current.get("tenant") == targets.tenant
        and current.get("client_id") == targets.client_id
    ):
        if existing.get("status") != "running":
            api.call("POST", f"/api/v1/org/integrations/eventstream/{INTEGRATION_ID}/_start")
        return "kept"
    if existing is not None:
        api.call(
            "DELETE", f"/api/v1/org/integrations/eventstream/{INTEGRATION_ID}", expect=(200, 204)
        )
    registered = api.call(
        "POST",
        "/api/v1/org/integrations/eventstream",
        expect=(200, 201),
        json={
            "id": INTEGRATION_ID,
            "integration_type": "permanent",
            "callback_parameters": {"callback_url": callback, "api_key": targets.sandbox_key},
        },
    )
    oms.call(
        "PUT",
        "/_sandbox/platform",
        json={**platform, "signing_secret": registered["signing_secret"]},
    )
    return "registered"


def configure(
    targets: DemoTargets, *, progress: Callable[[str], None] = lambda _text: None
) -> dict[str, Any]:
    """Configure the tenant and the sandboxes; returns the summary written to
    ``credentials.json`` (with the doctor's verdict)."""
    auth = PlatformAuth.client_credentials(
        targets.platform, targets.tenant, targets.client_id, targets.client_secret
    )
    key = targets.sandbox_key
    with (
        httpx.Client(base_url=targets.platform, auth=auth, timeout=30.0) as platform_client,
        httpx.Client(
            base_url=targets.oms, headers={"Authorization": f"Bearer {key}"}, timeout=30.0
        ) as oms_client,
    ):
        api, oms = _Api(platform_client, "platform"), _Api(oms_client, "oms")
        webhook = {"api_key": key, "timeout": 10}
        api.call("PUT", "/v0/config/external_oms", json={"enabled": True})
        api.call(
            "PUT",
            "/v0/config/sales_order",
            json={"enabled": True, "order_number_prefix": "CW-", "grace_period_minutes": 0},
        )
        progress("external OMS and sales orders enabled")
        job = _import(api, targets.state_dir)
        progress(f"catalog and stock imported ({job['counts']['imported']} records)")
        api.call("PUT", "/v0/config/external_order_webhook", json={"url": targets.oms, **webhook})
        api.call(
            "PATCH",
            "/v0/config/associate_app",
            json={"use_new_om_ui": True, "capabilities": {"mixed_cart": True}},
        )
        for store in STORES:
            api.call("PUT", f"/v0/config/stores/{store['store_id']}", json={"mixed_cart": True})
        api.call(
            "PATCH",
            "/v0/config/payment",
            json={
                "use_charge_api": True,
                "refund_options": ["original", "external", "credit_card", "gift_card"],
                "provider": {"url": f"{targets.psp}/", **webhook},
            },
        )
        api.call(
            "PUT", "/v0/config/shipping_adapter", json={"url": f"{targets.carrier}/", **webhook}
        )
        api.call("PUT", "/v0/config/fulfillment", json=FULFILLMENT_CONFIG)
        progress("webhooks, Associate App, payments, shipping and fulfillment configured")
        api.call(
            "PUT",
            "/v0/config/availability_webhook",
            json={
                "url": f"{targets.oms}/availabilities",
                "api_key": key,
                "external_identifier": "product_id",
                "timeout": 5,
            },
        )
        api.call("POST", "/v0/config/routing/uses_external_atp", json={"value": True})
        injection = api.call("GET", "/v1/r/config/order_injection")
        if not injection["value"].get("skip_soft_routing_on_injection"):
            api.call(
                "PATCH",
                f"/v1/r/config/order_injection?version={injection['version']}",
                json={"skip_soft_routing_on_injection": True},
            )
        stream = _event_stream(api, oms, targets)
        progress(f"ATP from the OMS, order injection, event stream ({stream})")
        oms.call(
            "PUT",
            "/_sandbox/stock",
            json={
                "stock": [
                    {"fulfillment_location": node, "product_id": product_id, "atp": quantity}
                    for node, quantity in OMS_STOCK.items()
                    for product_id, _, _ in PRODUCTS
                ]
            },
        )
        oms.call("PUT", "/_sandbox/settings", json={"dc_locations": [DC]})
        doctor = api.call("GET", "/v0/integration/doctor")
        failing = [check for check in doctor["checks"] if check["status"] == "fail"]
        if failing:
            details = "; ".join(f"{check['id']}: {check['detail']}" for check in failing)
            raise SetupError(f"the doctor still fails: {details}")
        progress(f"doctor: {doctor['status']} {doctor['summary']}")
    endpoint = {"api_key": key}
    return {
        "platform": {
            "url": targets.platform,
            "api_docs": f"{targets.platform}/docs",
            "tenant": targets.tenant,
            "client_id": targets.client_id,
            "client_secret": targets.client_secret,
            "token_url": auth.token_url,
        },
        "oms": {"url": targets.oms, "admin": f"{targets.oms}/_sandbox", **endpoint},
        "psp": {"url": targets.psp, "admin": f"{targets.psp}/_sandbox", **endpoint},
        "carrier": {"url": targets.carrier, "admin": f"{targets.carrier}/_sandbox", **endpoint},
        "demo": {
            "products": [product_id for product_id, _, _ in PRODUCTS],
            "stores": {store["store_id"]: store["fulfillment_node_id"] for store in STORES},
            "distribution_centre": DC,
            "service_levels": list(LEVELS),
        },
        "doctor": {"status": doctor["status"], "summary": doctor["summary"]},
    }
