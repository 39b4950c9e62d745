"""The database is busy: every connection of a process is in use (a lock held elsewhere, a
burst beyond the pool), or on SQLite another process holds the write lock. A request that waits
longer than ``CASHWRAP_DATABASE_POOL_TIMEOUT_SECONDS`` is answered ``503 database_busy`` with
``Retry-After`` — not a 500 — and the requests that were waiting finish normally once they can.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import Platform, platform_of_its_own
from tests.injection.test_fulfill_order import assert_problem
from tests.support import databases

ON_POSTGRES = databases.kind().startswith("postgres")
READ = "/v0/orders/NOT-YET?id_type=external"


@pytest.fixture
def small_pool(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    """One pooled connection (and one more at peaks); the database waited for half a second."""
    with platform_of_its_own(
        tmp_path,
        "pool",
        database_pool_size=1,
        database_pool_timeout_seconds=0.5,
        dispatcher_enabled=False,
    ) as platform:
        yield platform, platform.settings.database_url


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


def assert_busy(api: httpx.Client) -> None:
    started = time.monotonic()
    busy = api.get(READ)
    waited = time.monotonic() - started
    problem = assert_problem(busy, "database_busy", status=503)
    assert busy.headers["Retry-After"] == "1"
    assert "retry" in problem["message"]
    assert 0.4 < waited < 5


@pytest.mark.skipif(not ON_POSTGRES, reason="a lock held by another client of the server")
def test_a_request_with_no_free_connection_is_503_database_busy(small_pool):
    platform, url = small_pool
    credentials = platform.create_tenant()
    with platform.client(credentials) as api, ThreadPoolExecutor(max_workers=2) as pool:
        with TableLock(url):
            # Both connections wait inside a transaction for the lock.
            waiting = [pool.submit(api.get, READ) for _ in range(2)]
            time.sleep(0.3)
            assert_busy(api)
        for held in waiting:
            assert_problem(held.result(timeout=10), "order_not_found", status=404)
        assert_problem(api.get(READ), "order_not_found", status=404)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_a_request_that_cannot_take_sqlites_write_lock_is_503_database_busy(small_pool):
    platform, url = small_pool
    credentials = platform.create_tenant()
    with platform.client(credentials) as api:
        other_process = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"))
        other_process.isolation_level = None
        other_process.execute("BEGIN IMMEDIATE")
        try:
            assert_busy(api)
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        assert_problem(api.get(READ), "order_not_found", status=404)
