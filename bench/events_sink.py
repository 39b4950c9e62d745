"""A minimal webhook receiver for the event benchmarks, run in a process of its own.

``python -m bench.events_sink PORT``: every POST is answered 200 at once and its
``webhook-id`` noted with its arrival time; ``GET /stats`` returns them, ``GET /count`` counts
them, ``POST /reset`` forgets them.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
import uvicorn

arrivals: list[tuple[str, float]] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    body = b"{}"
    if scope["method"] == "POST" and scope["path"] == "/reset":
        arrivals.clear()
    elif scope["method"] == "GET" and scope["path"] == "/stats":
        body = orjson.dumps(arrivals)
    elif scope["method"] == "GET" and scope["path"] == "/count":
        body = orjson.dumps({"count": len(arrivals)})
    else:
        message_id = next((v for k, v in scope["headers"] if k == b"webhook-id"), b"")
        arrivals.append((message_id.decode(), time.time()))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(port: int) -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    serve(int(sys.argv[1]))
