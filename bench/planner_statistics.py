"""Planner statistics for a benchmark's fresh PostgreSQL database.

A bench database starts empty and fills in seconds. With autovacuum off (as on the development
machine's server) its tables are never analyzed, and the plans each connection caches while they
are still small stay for the rest of the run: measured on checkout, finding a cart by its id
read every cart of the tenant through the ``(tenant, created_at)`` index (1,000 rows a sale
after a minute, 4,700 after three, PostgreSQL's CPU a sale doubling); on injection, the stock
check read the store's 500 stock rows to lock three. A production database is analyzed by
autovacuum and holds its rows long before a rush. :func:`kept_analyzed` stands in for that:
while autovacuum is off it runs ``ANALYZE`` every few seconds, which also invalidates the
cached plans, during the platform's rounds and the floor's alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

EVERY_SECONDS = 5.0


@contextmanager
def kept_analyzed(dsn: str, every: float = EVERY_SECONDS) -> Iterator[str]:
    """Analyze the database every ``every`` seconds while autovacuum is off; what it does, in
    words for the bench's report."""
    if asyncio.run(_autovacuum_on(dsn)):
        yield "autovacuum on: the server keeps the planner's statistics"
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(_analyze_until(dsn, every, stop)), name="analyze", daemon=True
    )
    thread.start()
    try:
        yield f"autovacuum off on this server: ANALYZE every {every:.0f} s stands in for it"
    finally:
        stop.set()
        thread.join()


async def _autovacuum_on(dsn: str) -> bool:
    connection = await asyncpg.connect(dsn)
    try:
        return bool(await connection.fetchval("SELECT current_setting('autovacuum') = 'on'"))
    finally:
        await connection.close()


async def _analyze_until(dsn: str, every: float, stop: threading.Event) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            await connection.execute("ANALYZE")
            # Wake up soon after ``stop`` without a second thread or event loop.
            for _ in range(int(every * 10)):
                if stop.is_set():
                    break
                await asyncio.sleep(0.1)
    finally:
        await connection.close()
