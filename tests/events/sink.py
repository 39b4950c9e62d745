"""A webhook receiver for tests: records every request, answers what the test tells it to."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from cashwrap.sdk.asgi import read_request, serve_lifespan


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 0

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def event_id(self) -> str:
        return str(self.json["event_id"])


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"{}"


Responder = Callable[[Received, int], Reply]


class Sink:
    """An ASGI app. ``responder(request, n)`` chooses the reply; ``n`` counts requests per path."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.responders: dict[str, Responder] = {}
        self._counts: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def respond(self, path: str, responder: Responder) -> None:
        self.responders[path] = responder

    def at(self, path: str, *, ok_only: bool = True) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.received
                if r.path == path and (not ok_only or 200 <= r.status <= 299)
            ]

    def all_at(self, path: str) -> list[Received]:
        return self.at(path, ok_only=False)

    def in_flight(self, path: str) -> int:
        """Requests received at ``path`` and not answered yet."""
        with self._lock:
            return self._in_flight.get(path, 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        headers, body = await read_request(scope, receive)
        request = Received(path=scope["path"], headers=headers, body=body, at=time.time())
        with self._lock:
            count = self._counts.get(request.path, 0) + 1
            self._counts[request.path] = count
            self._in_flight[request.path] = self._in_flight.get(request.path, 0) + 1
        responder = self.responders.get(request.path)
        reply = responder(request, count) if responder else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        request.status = reply.status
        with self._lock:
            self.received.append(request)
            self._in_flight[request.path] -= 1
        raw = [(b"content-type", b"application/json")]
        raw += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw})
        await send({"type": "http.response.body", "body": reply.body})
