"""A tenant set up for store fulfillment via an external OMS, and the payloads the OMS injects.

Everything goes through the platform's HTTP APIs: the availability import creates the stores
and their stock, the configuration APIs set injection, fulfillment and the shipping adapter,
and an event-stream integration delivers to a loopback sink, where tests read the events.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.catalog.zips import stock
from tests.events.sink import Received, Sink

STORES = {"US01": "store-nyc", "US02": "store-bos"}
PRODUCTS = ("1000761", "1000762", "1000763")


def fulfillment_config(nodes: Iterable[str] = ("US01", "US02")) -> dict[str, Any]:
    """The seed's fulfillment configuration, with an in-store pickup service level."""
    chosen = list(nodes)
    return {
        "fulfillment_config": {
            "provider_rates": {
                "Priority": {
                    "return_provider_rate": "",
                    "service_level": "Priority",
                    "shipping_carrier_name": "SANDBOX",
                    "shipping_type": "traditional_carrier",
                    "use_as_customer_facing_cost": False,
                    "carrier_defined_service_level": "SBX_GROUND",
                },
                "Pickup": {
                    "return_provider_rate": "",
                    "service_level": "Pickup",
                    "shipping_carrier_name": "STORE",
                    "shipping_type": "in_store_pick_up",
                    "use_as_customer_facing_cost": False,
                },
            },
            "routes": [
                {
                    "destination_region": {"countries": ["US"], "zip_codes": ["*"]},
                    "fulfilled_by": {
                        "Priority": [
                            {"fulfillment_node_id": node, "provider_rate": "Priority"}
                            for node in chosen
                        ],
                        "Pickup": [
                            {"fulfillment_node_id": node, "provider_rate": "Pickup"}
                            for node in chosen
                        ],
                    },
                }
            ],
            "service_levels": {
                level: {
                    "currency_code": "USD",
                    "delivery_time": "2-4 business days",
                    "delivery_time_after_cutoff_hour": "",
                    "display_name": level,
                    "price": 0,
                    "remorse_period": 0,
                    "tax_code": "",
                }
                for level in ("Priority", "Pickup")
            },
            "sl_levels_priority": ["Priority", "Pickup"],
        }
    }


def order_payload(
    external_id: str | None = None,
    *,
    node: str | None = "US01",
    strategy: str | None = "external",
    service_level: str = "Priority",
    products: Iterable[str] = ("1000761",),
    price: float = 100.0,
    tax: float = 8.88,
    price_method: str = "tax_excluded",
    shipping_price: float = 0.0,
    with_payment: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """An order the OMS routed to a store, shaped like examples/fulfill-order.external-routing."""
    wanted = list(products)
    items = [
        {
            "external_item_id": f"EXT-ITEM-{number}",
            "product_id": product,
            "price": {
                "item_price": price,
                "item_list_price": price,
                "item_tax_lines": [
                    {"amount": tax, "rate": 0.08875, "name": "NY SALES TAX", "country_code": "US"}
                ],
            },
        }
        for number, product in enumerate(wanted, 1)
    ]
    option: dict[str, Any] = {
        "service_level_identifier": service_level,
        "price": shipping_price,
        "tax": 0,
    }
    if strategy is not None:
        option["routing_strategy"] = {"strategy": strategy}
        if node is not None:
            option["routing_strategy"]["fulfillment_node_id"] = node
    per_item = price + (tax if price_method == "tax_excluded" else 0)
    total = round(per_item * len(wanted) + shipping_price, 2)
    payload: dict[str, Any] = {
        "external_id": external_id or f"EXT-{uuid.uuid4().hex[:10].upper()}",
        "shop": "storefront-catalog-en",
        "shop_locale": "en-US",
        "channel_type": "web",
        "channel_name": "external-oms",
        "currency": "USD",
        "price_method": price_method,
        "placed_at": "2024-03-01T10:15:00Z",
        "customer_name": "Jane Doe",
        "customer_email": "jane@example.com",
        "external_customer_id": "C-1001",
        "shipping_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "address_line_1": "1 Main St",
            "city": "New York",
            "state": "NY",
            "zip_code": "10001",
            "country": "US",
            "phone": "+12125550100",
        },
        "billing_address": {"address_line_1": "1 Main St", "zip_code": "10001", "country": "US"},
        "shipments": [{"items": items, "shipping_option": option}],
        "payments": (
            [
                {
                    "processor": "external",
                    "correlation_ref": "PAY-0001",
                    "type": "captured",
                    "amount": total,
                    "method": "credit_card",
                    "processed_at": "2024-03-01T10:14:59Z",
                }
            ]
            if with_payment
            else []
        ),
    }
    payload.update(overrides)
    return payload


@dataclass
class StoreTenant:
    """One tenant of the platform, ready for store fulfillment, with its event sink path."""

    api: httpx.Client
    tenant: str
    sink: Sink
    sink_path: str

    def inject(self, payload: dict[str, Any]) -> httpx.Response:
        return self.api.post("/v0/d/fulfill_order", json=payload)

    def injected(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.inject(payload)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v0/orders/{order_id}", params={"id_type": "internal"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def requests_of(self, order_id: str) -> list[dict[str, Any]]:
        response = self.api.get(f"/v0/fulfillment_requests/{order_id}")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["fulfillment_requests"]
        return found

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return [
            received.json
            for received in self.sink.at(self.sink_path)
            if name is None or received.json["name"] == name
        ]

    def wait_event(
        self,
        name: str,
        where: Callable[[dict[str, Any]], bool] = lambda payload: True,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        """The payload of the first ``name`` event matching ``where`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(name):
                if where(event["payload"]):
                    payload: dict[str, Any] = event["payload"]
                    return payload
            if time.monotonic() > deadline:
                seen = [event["name"] for event in self.events()]
                raise AssertionError(f"no {name} event arrived in {timeout} s; saw {seen}")
            time.sleep(0.02)

    def store_path(self, store_id: str, request_id: str, action: str = "") -> str:
        path = f"/v0/stores/{store_id}/fulfillment_requests/{request_id}"
        return f"{path}/{action}" if action else path


def prepare(
    api: httpx.Client,
    tenant: str,
    folder: Path,
    sink: tuple[Sink, str],
    *,
    skip_soft_routing: bool = True,
    units: int = 5,
    hard_limit: int | None = None,
    carrier: Any = None,
) -> StoreTenant:
    """Stores US01/US02 with ``units`` of each product, the seed's configuration, a sink."""
    stock(
        api,
        folder,
        [(node, product, units) for node in STORES for product in PRODUCTS],
        stores=[
            {
                "store_id": store,
                "fulfillment_node_id": node,
                "country_code": "US",
                "description": f"Dodici {store}",
            }
            for node, store in STORES.items()
        ],
    )
    response = api.put("/v0/config/fulfillment", json=fulfillment_config())
    assert response.status_code in (200, 201), response.text
    value: dict[str, Any] = {"skip_soft_routing_on_injection": skip_soft_routing}
    if hard_limit is not None:
        value["big_sales_order"] = {"hard_limit_for_big_orders": hard_limit}
    response = api.post("/v1/r/config/order_injection", params={"version": 1}, json=value)
    assert response.status_code in (200, 201), response.text
    if carrier is not None:
        response = api.put(
            "/v0/config/shipping_adapter",
            json={"url": f"{carrier.url}/", "api_key": carrier.api_key, "timeout": 5},
        )
        assert response.status_code in (200, 201), response.text
    path = f"/oms/{uuid.uuid4().hex}"
    app, url = sink
    registered = api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": f"oms-{uuid.uuid4().hex[:8]}",
            "callback_parameters": {"callback_url": url + path},
        },
    )
    assert registered.status_code == 200, registered.text
    return StoreTenant(api, tenant, app, path)


def received_names(items: Iterable[Received]) -> list[str]:
    return [item.json["name"] for item in items]
