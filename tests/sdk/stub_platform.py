"""A stand-in for the platform's token and injection endpoints that answers what a test scripts.

It serves ``POST /auth/realms/{tenant}/protocol/openid-connect/token``, ``POST /v0/token`` and
``POST /v0/d/fulfill_order`` on loopback (a real HTTP server), records every request, and
answers the injection calls from ``script`` in order (then 200 with ``created``).
"""

from __future__ import annotations

import itertools
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


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    authorization: str | None
    body: bytes
    form: dict[str, str] = field(default_factory=dict)


class StubPlatform:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.seen: list[Seen] = []
        self.expires_in = 3600
        self.reject_tokens: set[str] = set()
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self.created: dict[str, Any] = {
            "external_id": "X",
            "id": "c93e1a37-b5d2-41a5-a3d0-4c3756b5fa3e",
            "items": [
                {
                    "external_item_id": "L1",
                    "id": "03a06f1c-4797-441e-ac15-a07a3df23a92",
                    "product_id": "1000761",
                }
            ],
        }
        self.app = Starlette(
            routes=[
                Route(
                    "/auth/realms/{tenant}/protocol/openid-connect/token",
                    self._token,
                    methods=["POST"],
                ),
                Route("/v0/token", self._token, methods=["POST"]),
                Route("/v0/d/fulfill_order", self._inject, methods=["POST"]),
            ]
        )

    def injections(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == "/v0/d/fulfill_order"]

    def token_calls(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.path != "/v0/d/fulfill_order"]

    async def _token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        with self._lock:
            self.seen.append(
                Seen(request.url.path, request.headers.get("authorization"), b"", form)
            )
            number = next(self._tokens)
        if form.get("client_secret") == "wrong" or form.get("password") == "wrong":
            return JSONResponse({"error": "invalid_client", "error_code": "invalid_client"}, 401)
        return JSONResponse({"access_token": f"token-{number}", "expires_in": self.expires_in})

    async def _inject(self, request: Request) -> Response:
        body = await request.body()
        authorization = request.headers.get("authorization")
        with self._lock:
            self.seen.append(Seen(request.url.path, authorization, body))
            token = (authorization or "").removeprefix("Bearer ")
            if token in self.reject_tokens:
                return JSONResponse({"error_code": "invalid_token"}, 401)
            reply = self.script.pop(0) if self.script else Reply(200, self.created)
        return JSONResponse(
            reply.body if reply.body is not None else {}, reply.status, reply.headers
        )


@contextmanager
def running() -> Iterator[tuple[StubPlatform, str]]:
    stub = StubPlatform()
    server = ServerThread(stub.app, name="stub-platform").start()
    try:
        yield stub, server.url
    finally:
        server.stop()
