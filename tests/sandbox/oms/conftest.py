"""The sandbox OMS on loopback (one per session, reset before each test), a stub platform for
its injections, and helpers to deliver signed events to it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from cashwrap.events import catalog
from cashwrap.sandbox.oms.app import create_app as create_oms
from tests.events.conftest import event_platform, sink, stream  # noqa: F401
from tests.sandbox.support import RunningSandbox, running
from tests.sdk.envelopes import envelope, new_secret, signed_headers
from tests.sdk.stub_platform import StubPlatform
from tests.sdk.stub_platform import running as stub_running

T = TypeVar("T")


@dataclass
class Oms:
    """The sandbox OMS connected to a (stub or real) platform, with a signing secret."""

    sandbox: RunningSandbox
    secret: str

    @property
    def url(self) -> str:
        return self.sandbox.url

    def client(self) -> httpx.Client:
        return self.sandbox.client()

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.sandbox.admin(method, path, **kwargs)

    def connect(self, url: str, tenant: str, client_id: str, client_secret: str) -> None:
        body = {
            "url": url,
            "tenant": tenant,
            "client_id": client_id,
            "client_secret": client_secret,
            "signing_secret": self.secret,
        }
        response = self.admin("PUT", "/platform", json=body)
        assert response.status_code == 200, response.text

    def stock(self, *entries: tuple[str, str, int]) -> None:
        body = {
            "stock": [
                {"fulfillment_location": loc, "product_id": product, "atp": atp}
                for loc, product, atp in entries
            ]
        }
        assert self.admin("PUT", "/stock", json=body).status_code == 200

    def deliver(self, payload: catalog.EventPayload | dict[str, Any]) -> httpx.Response:
        event = envelope(payload) if isinstance(payload, catalog.EventPayload) else payload
        body = json.dumps(event).encode()
        headers = signed_headers(self.secret, event, body, api_key=self.sandbox.api_key)
        with self.client() as client:
            return client.post("/events", content=body, headers=headers)

    def events(self, **params: Any) -> list[dict[str, Any]]:
        response = self.admin("GET", "/events", params=params)
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def order(self, order_id: str | None) -> dict[str, Any]:
        assert order_id is not None
        response = self.admin("GET", f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()
        return order

    def injections(self, **params: Any) -> list[dict[str, Any]]:
        response = self.admin("GET", "/injections", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["injections"]
        return found


@pytest.fixture(scope="session")
def oms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running(create_oms, tmp_path_factory.mktemp("oms"), "oms") as sandbox:
        yield sandbox


@pytest.fixture
def oms(oms_server: RunningSandbox) -> Oms:
    """The sandbox OMS, empty, not connected to any platform yet."""
    oms_server.reset()
    return Oms(oms_server, new_secret())


@pytest.fixture
def stub_platform(oms: Oms) -> Iterator[StubPlatform]:
    """A stub platform the OMS is connected to (it records the injections)."""
    with stub_running() as (stub, url):
        oms.connect(url, "acme", "oms-client", "oms-secret")
        yield stub


def eventually(condition: Callable[[], T], timeout: float = 10.0, what: str = "it") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
