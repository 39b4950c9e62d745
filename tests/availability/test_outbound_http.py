"""The shared outbound client tells every way a call can go wrong apart, and never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cashwrap.outbound.http import OutboundHttp
from tests.support.oms_endpoint import closed_port_url
from tests.support.servers import ServerThread


async def _json(request: Request) -> Response:
    return JSONResponse(
        {"echo": await request.json(), "auth": request.headers.get("authorization")}
    )


async def _big(_request: Request) -> Response:
    return Response(b"x" * 4096, media_type="application/octet-stream")


async def _slow(_request: Request) -> Response:
    await asyncio.sleep(2)
    return JSONResponse({})


async def _teapot(_request: Request) -> Response:
    return JSONResponse({"message": "no"}, status_code=418)


async def _text(_request: Request) -> Response:
    return Response("not json", media_type="text/plain")


@pytest.fixture(scope="module")
def counterpart() -> Iterator[str]:
    app = Starlette(
        routes=[
            Route("/json", _json, methods=["POST"]),
            Route("/big", _big),
            Route("/slow", _slow),
            Route("/teapot", _teapot),
            Route("/text", _text),
        ]
    )
    server = ServerThread(app, name="counterpart").start()
    try:
        yield server.url
    finally:
        server.stop()


async def test_outcomes_are_told_apart(counterpart):
    async with OutboundHttp(default_timeout=1.0, max_response_bytes=1024) as http:
        ok = await http.post_json("test", f"{counterpart}/json", {"a": 1}, bearer="secret-key")
        assert ok.ok
        assert ok.body == {"echo": {"a": 1}, "auth": "Bearer secret-key"}
        assert ok.status == 200

        outcomes = {
            "http_418": await http.request("test", "GET", f"{counterpart}/teapot"),
            "invalid_json": await http.request("test", "GET", f"{counterpart}/text"),
            "response_too_large": await http.request("test", "GET", f"{counterpart}/big"),
            "timeout": await http.request("test", "GET", f"{counterpart}/slow"),
            "refused": await http.request("test", "GET", closed_port_url()),
            "invalid_url": await http.request("test", "GET", "http://"),
        }
    for expected, result in outcomes.items():
        assert result.outcome == expected, (expected, result)
        assert not result.ok
    assert outcomes["http_418"].excerpt == '{"message":"no"}'


async def test_single_flight_shares_one_call_and_survives_a_cancelled_caller():
    calls = 0
    release = asyncio.Event()

    async def call() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    async with OutboundHttp() as http:
        first = asyncio.ensure_future(http.single_flight("key", call))
        second = asyncio.ensure_future(http.single_flight("key", call))
        await asyncio.sleep(0.01)
        first.cancel()
        release.set()
        assert await second == 42
        assert calls == 1
        assert await http.single_flight("key", call) == 42
        assert calls == 2


async def test_download_streams_to_a_file_and_refuses_what_is_too_large(counterpart, tmp_path):
    async with OutboundHttp() as http:
        target = tmp_path / "big.bin"
        done = await http.download("test", f"{counterpart}/big", target)
        assert done.ok
        assert target.read_bytes() == b"x" * 4096
        refused = await http.download("test", f"{counterpart}/big", tmp_path / "b", max_bytes=100)
        assert refused.outcome == "response_too_large"
        missing = await http.download("test", f"{counterpart}/nothing", tmp_path / "c")
        assert missing.outcome == "http_404"
