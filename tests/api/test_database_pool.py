"""Every database connection of a process is busy (a lock held elsewhere, a burst beyond the
pool): a request that cannot get one within ``CASHWRAP_DATABASE_POOL_TIMEOUT_SECONDS`` is
answered ``503 database_busy`` with ``Retry-After`` — not a 500 — and the requests holding the
connections finish normally once they can.

PostgreSQL only: the lock is taken by another client of the database server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from cashwrap.app import create_app
from tests.conftest import Platform, platform_settings
from tests.injection.test_fulfill_order import assert_problem
from tests.support import databases
from tests.support.servers import ServerThread

pytestmark = pytest.mark.skipif(
    not databases.kind().startswith("postgres"), reason="a lock held by another client"
)


@pytest.fixture
def small_pool(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    """One pooled connection (and one more at peaks), waited for half a second."""
    with databases.fresh_database(tmp_path, "pool") as url:
        settings = platform_settings(
            url,
            database_pool_size=1,
            database_pool_timeout_seconds=0.5,
            dispatcher_enabled=False,
        )
        server = ServerThread(create_app(settings), name="platform-small-pool").start()
        try:
            yield Platform(server=server, settings=settings), url
        finally:
            server.stop()


class TableLock:
    """``orders`` locked by another client of the server until ``release``."""

    def __init__(self, url: str) -> None:
        self._dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self._taken = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._hold()), daemon=True)

    async def _hold(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            async with connection.transaction():
                await connection.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
                self._taken.set()
                await asyncio.to_thread(self._release.wait)
        finally:
            await connection.close()

    def __enter__(self) -> TableLock:
        self._thread.start()
        assert self._taken.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._release.set()
        self._thread.join(10)


def test_a_request_with_no_free_connection_is_503_database_busy(small_pool):
    platform, url = small_pool
    credentials = platform.create_tenant()
    with platform.client(credentials) as api, ThreadPoolExecutor(max_workers=2) as pool:
        read = "/v0/orders/NOT-YET?id_type=external"
        with TableLock(url):
            # Both connections wait inside a transaction for the lock.
            waiting = [pool.submit(api.get, read) for _ in range(2)]
            time.sleep(0.3)
            started = time.monotonic()
            busy = api.get(read)
            waited = time.monotonic() - started
            problem = assert_problem(busy, "database_busy", status=503)
            assert busy.headers["Retry-After"] == "1"
            assert "retry" in problem["message"]
            assert 0.4 < waited < 5
        for held in waiting:
            assert_problem(held.result(timeout=10), "order_not_found", status=404)
        assert_problem(api.get(read), "order_not_found", status=404)
