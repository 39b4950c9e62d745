"""Fixtures of the SDK's tests: a receiver served on loopback over a durable store, and the
event-stream platform of ``tests/events`` (fast retries) to deliver real events to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from cashwrap.events import catalog
from cashwrap.sdk import Deferred, Event, EventReceiver, SqlEventStore
from tests.events.conftest import event_platform, sink, stream  # noqa: F401
from tests.sandbox.support import sandbox_database
from tests.sdk.envelopes import API_KEY, new_secret, signed_headers
from tests.support.servers import ServerThread


@dataclass
class Handled:
    name: str
    key: str
    payload: Any
    replayed: bool


@dataclass
class ReceiverServer:
    """A receiver whose handlers record what they get; ``known`` is the orders it created."""

    database_url: str
    secret: str = field(default_factory=new_secret)
    handled: list[Handled] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    fail_next: int = 0
    server: ServerThread | None = None
    store: SqlEventStore | None = None
    receiver: EventReceiver | None = None

    def start(self) -> ReceiverServer:
        self.store = SqlEventStore(self.database_url)  # its tables are created on first use
        receiver = EventReceiver(store=self.store, api_key=API_KEY, signing_secret=self.secret)
        self.receiver = receiver

        async def created(event: Event[catalog.OrderCreated]) -> None:
            self._maybe_fail()
            self.known.add(event.payload.id)
            self.handled.append(
                Handled(event.name, event.idempotency_key, event.payload, event.replayed)
            )

        async def needs_order(event: Event[Any]) -> None:
            self._maybe_fail()
            order_id = getattr(event.payload, "order_id", None) or event.payload.id
            if order_id not in self.known:
                raise Deferred(order_id)
            self.handled.append(
                Handled(event.name, event.idempotency_key, event.payload, event.replayed)
            )

        receiver.on(catalog.OrderCreated)(created)
        receiver.on(catalog.OrderCancelled)(needs_order)
        receiver.on(catalog.OrderCompleted)(needs_order)
        receiver.on(catalog.PaymentAccountAmountCaptured)(needs_order)
        self.server = ServerThread(receiver, name="receiver").start()
        return self

    def _maybe_fail(self) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("the OMS's database is down")

    def stop(self) -> None:
        if self.server is not None:
            server, store = self.server, self.store
            if store is not None:
                server.call(store.close)
            server.stop()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/events"

    def deliver(self, event: dict[str, Any], **headers: Any) -> httpx.Response:
        body = json.dumps(event).encode()
        return httpx.post(
            self.url, content=body, headers=signed_headers(self.secret, event, body, **headers)
        )

    def names(self) -> list[str]:
        return [handled.name for handled in self.handled]


@pytest.fixture
def receiver_db(tmp_path: Path) -> Iterator[str]:
    with sandbox_database(tmp_path, "receiver") as url:
        yield url


@pytest.fixture
def receiver(receiver_db: str) -> Iterator[ReceiverServer]:
    server = ReceiverServer(receiver_db).start()
    try:
        yield server
    finally:
        server.stop()


from tests.sandbox.oms.conftest import oms, oms_server  # noqa: E402, F401
from tests.sandbox.support import carrier, carrier_server, psp, psp_server  # noqa: E402, F401
