"""ASGI apps served by uvicorn on loopback, each in a thread with its own event loop.

Tests talk to them over real HTTP, exactly as an integrator's code or the platform's outbound
calls would. ``call`` runs a coroutine on the server's own loop (for setup that has no API, such
as creating a tenant, which is a CLI action).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")


class ServerThread:
    def __init__(self, app: ASGIApp, *, name: str = "server") -> None:
        self.app = app
        self.name = name
        # IPPROTO_TCP explicitly: asyncio only disables Nagle on sockets it knows are TCP, and
        # without TCP_NODELAY every small response waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", loop="asyncio", http="httptools"
        )
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[self._socket])

        try:
            asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 - reported to the starting thread
            self._error = error

    def start(self, timeout: float = 30.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} failed to start") from self._error
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not start in {timeout} s")
            time.sleep(0.01)
        return self

    def call(self, work: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(work), self._loop)
        result: T = future.result(timeout)
        return result

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


async def _as_coroutine(work: Callable[[], Awaitable[Any]]) -> Any:
    return await work()
