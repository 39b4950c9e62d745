"""A real HTTP availability (ATP) endpoint of an external OMS, for tests and benchmarks.

It answers the documented webhook (b.1) from its own ``stock`` and can be told to misbehave the
ways a real OMS does: answer slowly, fail with a status, answer garbage or a payload of the
wrong shape, leave pairs out, or answer for locations it was not asked about. It checks the
``Authorization: Bearer <api_key>`` header and records every call it receives.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import ServerThread

API_KEY = "oms-availability-key-0123456789"

# How the endpoint behaves: "ok" answers from `stock`; "status" answers `status` with a
# problem body; "garbage" answers text that is not JSON; "wrong_shape" answers JSON without
# `availabilities`; "negative" answers an atp of -1; "omit" leaves out the pairs in `omit`.
MODES = ("ok", "status", "garbage", "wrong_shape", "negative", "omit")


@dataclass
class Call:
    body: Any
    authorization: str | None


@dataclass
class OmsEndpoint:
    api_key: str = API_KEY
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    mode: str = "ok"
    status: int = 200
    delay: float = 0.0
    omit: set[tuple[str, str]] = field(default_factory=set)
    extra: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _server: ServerThread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the endpoint first"
        return f"{self._server.url}/availabilities"

    def start(self) -> OmsEndpoint:
        app = Starlette(routes=[Route("/availabilities", self._handle, methods=["POST"])])
        self._server = ServerThread(app, name="oms-atp").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        self.stock.clear()
        self.mode, self.status, self.delay = "ok", 200, 0.0
        self.omit.clear()
        self.extra.clear()
        with self._lock:
            self.calls.clear()

    def webhook_config(self, *, timeout: int = 5) -> dict[str, Any]:
        """The body of ``PUT /v0/config/availability_webhook`` pointing at this endpoint."""
        return {
            "url": self.url,
            "api_key": self.api_key,
            "external_identifier": "product_id",
            "timeout": timeout,
        }

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = await request.json()
        except ValueError:
            body = raw
        with self._lock:
            self.calls.append(Call(body, request.headers.get("authorization")))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"message": "missing or wrong api key"}, status_code=401)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "status":
            return JSONResponse({"message": "OMS failure"}, status_code=self.status)
        if self.mode == "garbage":
            return Response("<html>upstream hiccup</html>", media_type="text/html")
        if self.mode == "wrong_shape":
            return JSONResponse({"items": []})
        products = [product["product_id"] for product in body["products"]]
        locations = body["fulfillment_locations"]
        answer = [
            {
                "product_id": product,
                "external_identifier": product,
                "fulfillment_location": location,
                "atp": self.stock.get((location, product), 0),
            }
            for product in products
            for location in locations
            if (location, product) not in self.omit
        ]
        if self.mode == "negative" and answer:
            answer[0]["atp"] = -1
        return JSONResponse({"availabilities": answer + self.extra})


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/availabilities"


@contextmanager
def running_oms(**values: Any) -> Iterator[OmsEndpoint]:
    endpoint = OmsEndpoint(**values).start()
    try:
        yield endpoint
    finally:
        endpoint.stop()
