"""The little ASGI the SDK's apps (the event receiver, the webhooks) share."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Scope, Send


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Answer the server's startup and shutdown: the SDK's apps have nothing to set up."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def read_request(scope: Scope, receive: Receive) -> tuple[dict[str, str], bytes]:
    """The request's headers (names lower-cased) and its whole body."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    headers = {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]
    }
    return headers, b"".join(chunks)


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    """A JSON answer; a problem document from 400 on."""
    media = b"application/json" if status < 400 else b"application/problem+json"
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", media)]}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
