"""A real HTTP external order webhook (b.2) of an external OMS, for tests.

It answers ``GET /orders?consumer_email=|consumer_token=`` (purchase history) and
``GET /orders/{id}`` (order details) from its own ``orders``, checks
``Authorization: Bearer <api_key>``, records every call, and can be told to misbehave the ways
a real OMS does: answer slowly, fail with a status, answer text that is not JSON, or JSON
without ``orders``.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import ServerThread

API_KEY = "oms-order-webhook-key-0123456789"

# "ok" answers from `orders`; "status" answers `status`; "garbage" answers text that is not
# JSON; "wrong_shape" answers {"order_list": []} to purchase history and an order without
# totals to order details.
MODES = ("ok", "status", "garbage", "wrong_shape")


@dataclass
class Call:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class OrderWebhook:
    api_key: str = API_KEY
    orders: list[dict[str, Any]] = field(default_factory=list)
    """Order details documents; the history is every order whose customer matches."""
    mode: str = "ok"
    status: int = 200
    delay: float = 0.0
    calls: list[Call] = field(default_factory=list)
    _server: ServerThread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the webhook first"
        return f"{self._server.url}/oms"

    def start(self) -> OrderWebhook:
        app = Starlette(
            routes=[
                Route("/oms/orders", self._history, methods=["GET"]),
                Route("/oms/orders/{id:path}", self._details, methods=["GET"]),
            ]
        )
        self._server = ServerThread(app, name="oms-orders").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        self.orders.clear()
        self.mode, self.status, self.delay = "ok", 200, 0.0
        with self._lock:
            self.calls.clear()

    def webhook_config(self, *, timeout: int = 5, api_key: str | None = API_KEY) -> dict[str, Any]:
        """The body of ``PUT /v0/config/external_order_webhook`` pointing at this webhook."""
        body: dict[str, Any] = {"url": self.url, "timeout": timeout}
        if api_key is not None:
            body["api_key"] = api_key
        return body

    def recorded(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    async def _gate(self, request: Request) -> Response | None:
        with self._lock:
            self.calls.append(
                Call(
                    request.url.path,
                    dict(request.query_params),
                    request.headers.get("authorization"),
                )
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error_code": "unauthorized"}, status_code=401)
        if self.mode == "status":
            return JSONResponse({"error_code": "internal_error"}, status_code=self.status)
        if self.mode == "garbage":
            return Response("<html>oops</html>", media_type="text/html")
        return None

    async def _history(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        if self.mode == "wrong_shape":
            return JSONResponse({"order_list": []})
        email = request.query_params.get("consumer_email")
        token = request.query_params.get("consumer_token")
        found = [
            summary(order)
            for order in self.orders
            if (email is not None and order.get("customer", {}).get("email") == email)
            or (token is not None and order.get("customer", {}).get("id") == token)
        ]
        return JSONResponse({"orders": found})

    async def _details(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        wanted = request.path_params["id"]
        for order in self.orders:
            if order["id"] == wanted:
                answer = copy.deepcopy(order)
                if self.mode == "wrong_shape":
                    answer.pop("totals", None)
                return JSONResponse(answer)
        return JSONResponse({"error_code": "not_found"}, status_code=404)


_SUMMARY_KEYS = (
    "id",
    "placed_at",
    "channel_type",
    "origin",
    "origin_id",
    "status",
    "currency",
    "fulfillment_type",
    "items",
)


def summary(order: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(order[key]) for key in _SUMMARY_KEYS if key in order}


def external_order(
    number: str,
    *,
    email: str = "jane@example.com",
    customer_id: str = "c-1",
    placed_at: datetime | None = None,
    origin: str = "external",
    origin_id: str | None = None,
    items: list[dict[str, Any]] | None = None,
    payment_history: list[dict[str, Any]] | None = None,
    currency: str = "USD",
) -> dict[str, Any]:
    """An order details document as the reference's sample has it (one item of 88.00)."""
    moment = placed_at or datetime(2021, 11, 22, 12, 51, 39, tzinfo=UTC)
    units = items if items is not None else [item(f"{number}-1")]
    gross = sum(unit["price"]["gross"] for unit in units)
    tax = sum(unit["price"]["tax"] for unit in units)
    document: dict[str, Any] = {
        "id": number,
        "placed_at": moment.isoformat().replace("+00:00", "Z"),
        "channel_type": "store",
        "origin": origin,
        "origin_id": origin_id or number,
        "status": "complete",
        "currency": currency,
        "fulfillment_type": "in_store_purchase",
        "customer": {"id": customer_id, "name": "Jane Doe", "email": email, "language": "en"},
        "items": units,
        "totals": {
            "net": gross - tax,
            "tax": tax,
            "gross": gross,
            "discount": 0,
            "shipping": 0,
            "total": gross,
        },
    }
    if payment_history is not None:
        document["payment_history"] = payment_history
    return document


def item(
    item_id: str,
    *,
    product_id: str = "1000061",
    gross: float = 88.0,
    tax: float = 8.0,
    status: str = "complete",
    origin_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": item_id,
        "origin_id": origin_id or item_id,
        "status": status,
        "product_id": product_id,
        "price": {"net": gross - tax, "tax": tax, "gross": gross, "discount": 0},
        "product_attributes": {"name": "Kate Dress", "size": "M", "color": "red"},
        "external_identifier": {"sku": product_id},
    }


def history_of(count: int, *, email: str, start: datetime | None = None) -> list[dict[str, Any]]:
    """``count`` orders of one customer, one day apart, numbered by age (``H0000`` oldest)."""
    first = start or datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
    return [
        external_order(f"H{index:04d}", email=email, placed_at=first + timedelta(days=index))
        for index in range(count)
    ]


@contextmanager
def running() -> Iterator[OrderWebhook]:
    webhook = OrderWebhook().start()
    try:
        yield webhook
    finally:
        webhook.stop()
