"""A store with stock, the sandbox PSP as payment provider, the OMS's order webhook and an
event-stream sink, all on loopback; and helpers to take returns over HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.catalog.zips import stock
from tests.events.sink import Sink
from tests.sandbox.support import API_KEY as PSP_KEY
from tests.sandbox.support import RunningSandbox, psp, psp_server  # noqa: F401
from tests.support.order_webhook import OrderWebhook
from tests.support.servers import ServerThread

STORE = "US01"
STORE_ID = "store-nyc"
OTHER_STORE = "US02"


@pytest.fixture(scope="module")
def webhook_server() -> Iterator[OrderWebhook]:
    server = OrderWebhook().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def webhook(webhook_server: OrderWebhook) -> Iterator[OrderWebhook]:
    webhook_server.reset()
    yield webhook_server
    webhook_server.reset()


@pytest.fixture(scope="session")
def event_sink() -> Iterator[tuple[Sink, str]]:
    app = Sink()
    server = ServerThread(app, name="returns-sink").start()
    try:
        yield app, server.url
    finally:
        server.stop()


@dataclass
class Events:
    """The tenant's event stream, delivered to a path of its own on the sink."""

    sink: Sink
    path: str

    def named(self, name: str) -> list[dict[str, Any]]:
        return [
            received.json
            for received in self.sink.at(self.path)
            if received.json.get("name") == name
        ]

    def wait(self, name: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.named(name)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} {name} event(s) expected, {len(found)} arrived")
            time.sleep(0.05)


@pytest.fixture
def events(api: httpx.Client, event_sink: tuple[Sink, str]) -> Events:
    sink, url = event_sink
    path = f"/returns/{uuid.uuid4().hex}"
    registered = api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": f"oms-{uuid.uuid4().hex[:8]}",
            "integration_type": "permanent",
            "callback_parameters": {"callback_url": url + path},
        },
    )
    assert registered.status_code == 200, registered.text
    return Events(sink, path)


@pytest.fixture
def store(api: httpx.Client, tmp_path: Path) -> str:
    """Two stores with a little stock: US01 (store-nyc) and US02 (no store mapping)."""
    stock(
        api,
        tmp_path,
        [(STORE, "1000061", 5), (STORE, "1000062", 5), (OTHER_STORE, "1000061", 1)],
        stores=[{"store_id": STORE_ID, "fulfillment_node_id": STORE, "country_code": "US"}],
    )
    return STORE


@pytest.fixture
def paying(api: httpx.Client, psp: RunningSandbox, store: str) -> RunningSandbox:  # noqa: F811
    """The sandbox PSP configured as the payment provider, every refund option offered."""
    configured = api.put(
        "/v0/config/payment",
        json={
            "use_charge_api": True,
            "refund_options": ["original", "external", "gift_card", "credit_card"],
            "provider": {"url": psp.url, "api_key": PSP_KEY, "timeout": 5},
        },
    )
    assert configured.status_code == 200, configured.text
    return psp


def use_oms_orders(api: httpx.Client, webhook: OrderWebhook) -> None:
    configured = api.put("/v0/config/external_order_webhook", json=webhook.webhook_config())
    assert configured.status_code == 200, configured.text
    switched = api.patch("/v0/config/associate_app", json={"use_new_om_ui": True})
    assert switched.status_code == 200, switched.text


def on_hand(api: httpx.Client, product_id: str, node: str = STORE) -> int:
    response = api.get(
        "/v0/stock/insights", params={"product_id": product_id, "fulfillment_node_id": node}
    )
    assert response.status_code == 200, response.text
    units: int = response.json()["on_hand"]
    return units


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    return body
