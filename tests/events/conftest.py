"""An event-stream platform with a fast retry policy, a loopback sink, and event factories.

The platform runs its own dispatcher over its own database, with retries measured in tenths of
a second and a horizon of a few seconds, so that every response class can be observed quickly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from cashwrap.app import create_app
from cashwrap.events import catalog, outbox
from tests.conftest import Platform, TenantCredentials, platform_settings
from tests.events.sink import Sink
from tests.support import databases
from tests.support.servers import ServerThread

T = TypeVar("T")

HORIZON_SECONDS = 3.0
TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="session")
def event_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with databases.fresh_database(tmp_path_factory.mktemp("events"), "events") as url:
        settings = platform_settings(
            url,
            event_retry_base_seconds=0.1,
            event_retry_max_seconds=0.5,
            event_retry_horizon_seconds=HORIZON_SECONDS,
            event_delivery_timeout_seconds=TIMEOUT_SECONDS,
            event_poll_seconds=0.2,
            event_claim_seconds=5.0,
        )
        server = ServerThread(create_app(settings), name="event-platform").start()
        try:
            yield Platform(server=server, settings=settings)
        finally:
            server.stop()


@pytest.fixture(scope="session")
def sink() -> Iterator[tuple[Sink, str]]:
    app = Sink()
    server = ServerThread(app, name="sink").start()
    try:
        yield app, server.url
    finally:
        server.stop()


@dataclass
class Stream:
    """One tenant of the event platform, its API client, and the sink."""

    platform: Platform
    credentials: TenantCredentials
    api: httpx.Client
    sink: Sink
    sink_url: str

    @property
    def tenant(self) -> str:
        return self.credentials.tenant

    def new_path(self) -> str:
        return f"/hooks/{uuid.uuid4().hex}"

    def register(self, path: str | None = None, **fields: Any) -> dict[str, Any]:
        """Register an integration delivering to ``path`` on the sink; returns the response."""
        path = path or self.new_path()
        body: dict[str, Any] = {
            "id": fields.pop("id", f"oms-{uuid.uuid4().hex[:8]}"),
            "callback_parameters": {"callback_url": self.sink_url + path},
        }
        if "api_key" in fields:
            body["callback_parameters"]["api_key"] = fields.pop("api_key")
        body.update(fields)
        response = self.api.post("/api/v1/org/integrations/eventstream", json=body)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        created["_path"] = path
        return created

    def record(
        self,
        *payloads: catalog.EventPayload,
        fail: bool = False,
        new: Collection[int] = (),
        batched: bool = False,
    ) -> list[str]:
        """Record events in one transaction (rolled back when ``fail``); returns their ids.
        ``new``: the payloads (by position) recorded as their entity's first events
        (``entity_is_new``); ``batched``: recorded inside ``outbox.batched``."""
        database = self.platform.server.app.state.database  # type: ignore[attr-defined]
        tenant = self.tenant

        async def work() -> list[str]:
            ids = []
            try:
                async with database.transaction() as session:
                    async with outbox.batched(session) if batched else nullcontext():
                        for position, payload in enumerate(payloads):
                            ids.append(
                                await outbox.record(
                                    session,
                                    tenant=tenant,
                                    payload=payload,
                                    entity_type=payload.entity_type,
                                    entity_id=getattr(payload, "id", "x"),
                                    entity_is_new=position in new,
                                )
                            )
                    if fail:
                        raise RuntimeError("the business change failed")
            except RuntimeError:
                if not fail:
                    raise
            return ids

        return self.platform.server.call(work)


@pytest.fixture
def stream(event_platform: Platform, sink: tuple[Sink, str]) -> Iterator[Stream]:
    credentials = event_platform.create_tenant("ev")
    with event_platform.client(credentials) as client:
        yield Stream(event_platform, credentials, client, sink[0], sink[1])


def wait_for(condition: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def order_created(order_id: str | None = None, **overrides: Any) -> catalog.OrderCreated:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": order_id or str(uuid.uuid4()),
        "external_id": "POS-0002",
        "channel_type": "store",
        "channel_name": "pos",
        "is_historical": False,
        "is_exchange": False,
        "status": "open",
        "fulfillment_type": "in_store_purchase",
        "placed_at": now,
        "created_at": now,
        "currency": "USD",
        "price_method": "tax_included",
        "store_id": "US01",
        "associate_id": "assoc-17",
        "customer_email": "jane@example.com",
        "items": [
            {
                "id": str(uuid.uuid4()),
                "external_item_id": "L1",
                "product_id": "1000761",
                "status": "complete",
                "shipping_service_level": "IN_STORE_HANDOVER",
                "fulfillment_location_id": "US01",
                "price": {"item_price": 50.0, "item_list_price": 50.0, "item_tax": 4.0},
            }
        ],
        "totals": {"net": 46.0, "tax": 4.0, "gross": 50.0, "total": 50.0},
        "payment_status": "captured",
        "payments": [{"method": "cash", "type": "captured", "amount": 50.0, "currency": "USD"}],
    }
    fields.update(overrides)
    return catalog.OrderCreated.model_validate(fields)


def order_cancelled(order_id: str | None = None) -> catalog.OrderCancelled:
    return catalog.OrderCancelled(
        id=order_id or str(uuid.uuid4()),
        cancelled_at=datetime.now(UTC),
        reason="Item not found in the store",
        reason_code="mispick",
        items=[catalog.CancelledItem(id=str(uuid.uuid4()), product_id="1000061")],
    )


def ffr_assigned(order_id: str | None = None) -> catalog.FulfillmentRequestAssigned:
    return catalog.FulfillmentRequestAssigned(
        id=str(uuid.uuid4()),
        order_id=order_id or str(uuid.uuid4()),
        fulfillment_location_id="US01",
        service_level="Priority",
        items=[catalog.FulfillmentRequestItem(id=str(uuid.uuid4()), product_id="1000061")],
    )
