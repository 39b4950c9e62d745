"""A TCP relay to PostgreSQL that can go silent: it keeps every connection open and stops
passing bytes, as a network does during a fail-over or a partition — no reset, no close, just
no answer. Run in a thread with its own event loop, so synchronous tests can use it.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit, urlunsplit


class SilentNetwork:
    def __init__(self, url: str) -> None:
        """``url``: the SQLAlchemy URL of the database to relay to."""
        parts = urlsplit(url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._parts = parts
        self._speaking: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="silent-network", daemon=True)
        self.port = 0

    def __enter__(self) -> SilentNetwork:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self.speak_again()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        """The same database, reached through the relay."""
        host = f"{self._parts.username}@127.0.0.1" if self._parts.username else "127.0.0.1"
        return urlunsplit(self._parts._replace(netloc=f"{host}:{self.port}"))

    def go_silent(self) -> None:
        self._switch(speaking=False)

    def speak_again(self) -> None:
        self._switch(speaking=True)

    def _switch(self, *, speaking: bool) -> None:
        async def switch() -> None:
            assert self._speaking is not None
            if speaking:
                self._speaking.set()
            else:
                self._speaking.clear()

        # Done once this returns: nothing sent afterwards slips through.
        asyncio.run_coroutine_threadsafe(switch(), self._loop).result(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._speaking = asyncio.Event()
        self._speaking.set()
        server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pass(reader, upstream_writer), self._pass(upstream_reader, writer)
        )

    async def _pass(self, source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                # Silent: what arrives is held, and nothing is closed.
                assert self._speaking is not None
                await self._speaking.wait()
                target.write(data)
                await target.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            target.close()
