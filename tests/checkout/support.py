"""A store set up for selling, over HTTP: catalog, store, configuration, the sandbox PSP, an ATP
endpoint of the external OMS and an event-stream sink — and the calls an Associate App makes.

``shop`` gives each test a fresh tenant configured as the seed's pre-requisites say: the
external OMS on, orders accepted (prefix ``CW-``), ``use_charge_api`` on, the payment provider
pointing at the sandbox PSP, the fulfillment configuration (``Priority`` to US, from DC01 then
US02, 4.95 USD), external ATP from the loopback OMS endpoint, mixed carts allowed for the
Associate App and store ``store-1`` (US01), and an event-stream integration delivering to the
loopback sink.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.catalog.zips import products, stock
from tests.conftest import Platform, TenantCredentials
from tests.events.sink import Sink
from tests.sandbox.support import API_KEY as PSP_KEY
from tests.sandbox.support import RunningSandbox, psp, psp_server
from tests.support.oms_endpoint import OmsEndpoint
from tests.support.servers import ServerThread

__all__ = ["Shop", "oms_atp", "psp", "psp_server", "shop", "sink_server"]

T = TypeVar("T")
STORE = "store-1"
STORE_NODE = "US01"
ADDRESS = {
    "first_name": "Jane",
    "last_name": "Doe",
    "address_line_1": "1 Main Street",
    "city": "New York",
    "zip_code": "10001",
    "country": "US",
}
CATALOG = [
    ("tee", "Organic cotton tee", 19.99),
    ("cap", "Canvas cap", 12.50),
    ("boot", "Leather boot", 120.00),
    ("sock", "Wool socks", 8.00),
]


@pytest.fixture(scope="session")
def sink_server() -> Iterator[tuple[Sink, str]]:
    app = Sink()
    server = ServerThread(app, name="checkout-sink").start()
    try:
        yield app, server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oms_atp_server() -> Iterator[OmsEndpoint]:
    endpoint = OmsEndpoint().start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture
def oms_atp(oms_atp_server: OmsEndpoint) -> Iterator[OmsEndpoint]:
    oms_atp_server.reset()
    yield oms_atp_server
    oms_atp_server.reset()


def wait_for(
    condition: Callable[[], T | None], timeout: float = 10.0, what: str = "condition"
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Shop:
    platform: Platform
    credentials: TenantCredentials
    api: httpx.Client
    psp: RunningSandbox
    oms: OmsEndpoint
    sink: Sink
    sink_path: str
    folder: Path
    keys: list[str] = field(default_factory=list)

    @property
    def tenant(self) -> str:
        return self.credentials.tenant

    # --- configuration ------------------------------------------------------------------------

    def configure(self, document: str, body: dict[str, Any], method: str = "PUT") -> None:
        response = self.api.request(method, f"/v0/config/{document}", json=body)
        assert response.status_code == 200, response.text

    def capabilities(self, **values: Any) -> None:
        self.configure("associate_app", {"capabilities": values}, method="PATCH")

    def store_mixed_cart(self, allowed: bool) -> None:
        self.configure(f"stores/{STORE}", {"mixed_cart": allowed})

    # --- the Associate App's calls --------------------------------------------------------------

    def cart(self, **fields: Any) -> dict[str, Any]:
        body = {
            "associate_id": "associate-17",
            "catalog": "storefront-catalog-en",
            "channel_id": STORE,
            "channel_type": "STORE",
            "currency": "USD",
            "locale": "en_US",
            "customer_email": "jane@example.com",
        } | fields
        response = self.api.post("/checkout/carts", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def add(self, cart_id: str, product_id: str, **fields: Any) -> str:
        response = self.api.post(
            f"/checkout/carts/{cart_id}/items", json={"product_id": product_id} | fields
        )
        assert response.status_code == 201, response.text
        line: str = response.json()["id"]
        return line

    def ship_to(self, cart_id: str, service_level: str = "Priority") -> None:
        response = self.api.patch(
            f"/checkout/carts/{cart_id}",
            json={"shipping_address": ADDRESS, "service_level": service_level},
        )
        assert response.status_code == 200, response.text

    def checkout(
        self,
        cart_id: str,
        payments: list[dict[str, Any]] | None = None,
        *,
        key: str | None = None,
        hand_over: bool = False,
    ) -> httpx.Response:
        key = key or f"checkout-{uuid.uuid4().hex}"
        self.keys.append(key)
        return self.api.post(
            f"/checkout/carts/{cart_id}/checkout",
            json={"payments": payments or [{"method": "cash"}], "hand_over": hand_over},
            headers={"Idempotency-Key": key},
        )

    def placed(
        self, cart_id: str, payments: list[dict[str, Any]] | None = None, **kw: Any
    ) -> dict[str, Any]:
        response = self.checkout(cart_id, payments, **kw)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v0/orders/{order_id}", params={"id_type": "internal"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def hand_over(self, order_id: str) -> httpx.Response:
        return self.api.post(f"/v0/orders/{order_id}/handover", params={"id_type": "internal"})

    # --- what the external OMS hears ------------------------------------------------------------

    def events(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Events delivered so far (about ``order_id`` when given), in the order recorded."""
        received = [r.json for r in self.sink.at(self.sink_path)]
        if order_id is not None:
            received = [
                e
                for e in received
                if order_id in (e["payload"].get("id"), e["payload"].get("order_id"))
            ]
        return sorted(received, key=lambda e: (e["published_at"], e["event_id"]))

    def wait_events(self, order_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return wait_for(
            lambda: events if len(events := self.events(order_id)) >= count else None,
            timeout,
            f"{count} events about {order_id} (have {[e['name'] for e in self.events(order_id)]})",
        )

    def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Every event delivered after waiting ``seconds`` for stragglers."""
        time.sleep(seconds)
        return self.events()

    def run(self, work: Callable[..., Any]) -> Any:
        """Run ``await work(database)`` on the platform's loop (for use cases with no API)."""
        database = self.platform.server.app.state.database  # type: ignore[attr-defined]
        http = self.platform.server.app.state.outbound_http  # type: ignore[attr-defined]

        async def call() -> Any:
            return await work(database, http)

        return self.platform.server.call(call)


def fulfillment_document(price: float = 4.95) -> dict[str, Any]:
    return {
        "fulfillment_config": {
            "provider_rates": {
                "Priority": {
                    "return_provider_rate": "",
                    "service_level": "Priority",
                    "shipping_carrier_name": "USPS",
                    "shipping_type": "traditional_carrier",
                    "use_as_customer_facing_cost": False,
                },
                "Express": {
                    "return_provider_rate": "",
                    "service_level": "Express",
                    "shipping_carrier_name": "UPS",
                    "shipping_type": "traditional_carrier",
                    "use_as_customer_facing_cost": False,
                },
            },
            "routes": [
                {
                    "destination_region": {"countries": ["US"], "zip_codes": ["*"]},
                    "fulfilled_by": {
                        "Priority": [
                            {"fulfillment_node_id": "DC01", "provider_rate": "Priority"},
                            {"fulfillment_node_id": "US02", "provider_rate": "Priority"},
                        ],
                        "Express": [{"fulfillment_node_id": "DC01", "provider_rate": "Express"}],
                    },
                }
            ],
            "service_levels": {
                "Priority": {
                    "currency_code": "USD",
                    "delivery_time": "2-4 business days",
                    "delivery_time_after_cutoff_hour": "",
                    "display_name": "Priority",
                    "price": price,
                    "remorse_period": 0,
                    "tax_code": "",
                },
                "Express": {
                    "currency_code": "USD",
                    "delivery_time": "1 business day",
                    "delivery_time_after_cutoff_hour": "",
                    "display_name": "Express",
                    "price": 15,
                    "remorse_period": 0,
                    "tax_code": "",
                },
            },
            "sl_levels_priority": ["Priority", "Express"],
        }
    }


@pytest.fixture
def shop(
    platform: Platform,
    tenant: TenantCredentials,
    api: httpx.Client,
    psp: RunningSandbox,
    oms_atp: OmsEndpoint,
    sink_server: tuple[Sink, str],
    tmp_path: Path,
) -> Shop:
    sink, sink_url = sink_server
    path = f"/hooks/{uuid.uuid4().hex}"
    setup = Shop(platform, tenant, api, psp, oms_atp, sink, path, tmp_path)
    products(
        api,
        tmp_path,
        [
            {
                "product_id": product_id,
                "title": title,
                "shop": "storefront-catalog-en",
                "locale": "en-US",
                "prices": [{"pricebook": "default", "currency": "USD", "value": price}],
            }
            for product_id, title, price in CATALOG
        ],
    )
    stock(
        api,
        tmp_path,
        [(STORE_NODE, "tee", 10), (STORE_NODE, "cap", 5), ("US02", "boot", 0), ("DC01", "boot", 0)],
        stores=[{"store_id": STORE, "fulfillment_node_id": STORE_NODE, "country_code": "US"}],
    )
    setup.configure("sales_order", {"enabled": True, "order_number_prefix": "CW-"})
    setup.configure("external_oms", {"enabled": True})
    setup.configure(
        "payment",
        {
            "use_charge_api": True,
            "provider": {"url": psp.url, "api_key": PSP_KEY, "timeout": 5},
        },
    )
    setup.capabilities(mixed_cart=True)
    setup.store_mixed_cart(True)
    response = api.put("/v0/config/fulfillment", json=fulfillment_document())
    assert response.status_code == 200, response.text
    setup.configure("availability_webhook", oms_atp.webhook_config())
    switched = api.post("/v0/config/routing/uses_external_atp", json={"value": True})
    assert switched.status_code == 200, switched.text
    oms_atp.stock.update({("DC01", "boot"): 5, ("US02", "boot"): 2, ("DC01", "sock"): 10})
    registered = api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": f"oms-{uuid.uuid4().hex[:8]}",
            "callback_parameters": {"callback_url": sink_url + path},
        },
    )
    assert registered.status_code == 200, registered.text
    return setup
