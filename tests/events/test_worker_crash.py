"""A `cashwrap worker` killed with SIGKILL mid-delivery loses nothing.

Thousands of events are recorded (some before, some while the worker runs); the worker is killed
outright while it delivers them, a second worker is started, and every event must reach the sink.
Duplicates are allowed (at-least-once) but bounded by the killed worker's in-flight window.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashwrap.core.uow import Database
from cashwrap.events import integrations
from cashwrap.events.models import deliveries
from cashwrap.events.outbox import record
from cashwrap.events.schemas import IntegrationRequest
from cashwrap.tenants import service as tenants
from tests.events.conftest import order_created, wait_for
from tests.events.sink import Reply, Sink
from tests.support import databases
from tests.support.servers import ServerThread

EVENTS = 3000
BATCH_SIZE = 100
WINDOW = 2 * BATCH_SIZE  # leases one worker holds at most (DispatcherConfig.window)


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CASHWRAP_DATABASE_URL": url,
        "CASHWRAP_RUN_MIGRATIONS_ON_START": "false",
        "CASHWRAP_LOG_LEVEL": "WARNING",
        "CASHWRAP_EVENT_BATCH_SIZE": str(BATCH_SIZE),
        "CASHWRAP_EVENT_CLAIM_SECONDS": "2",
        "CASHWRAP_EVENT_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cashwrap", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def record_events(database: Database, tenant: str, count: int) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 100):
        async with database.transaction() as session:
            for _ in range(min(100, count - start)):
                payload = order_created()
                ids.append(
                    await record(
                        session,
                        tenant=tenant,
                        payload=payload,
                        entity_type="order",
                        entity_id=payload.id,
                    )
                )
    return ids


@pytest.mark.slow
def test_killed_worker_loses_no_event(tmp_path: Path):
    sink = Sink()
    sink.respond("/crash", lambda _r, _n: Reply(200, delay=0.002))
    server = ServerThread(sink, name="crash-sink").start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with databases.fresh_database(tmp_path, "crash") as url:

            async def setup() -> tuple[str, list[str]]:
                database = Database(url, pool_size=2)
                try:
                    async with database.transaction() as session:
                        tenant = (await tenants.create_tenant(session, "crash")).tenant
                        await integrations.register(
                            session,
                            tenant,
                            IntegrationRequest.model_validate(
                                {
                                    "id": "oms",
                                    "callback_parameters": {"callback_url": server.url + "/crash"},
                                }
                            ),
                        )
                    return tenant, await record_events(database, tenant, EVENTS // 2)
                finally:
                    await database.dispose()

            tenant, ids = asyncio.run(setup())
            first = start_worker(url)
            workers.append(first)

            async def more() -> list[str]:
                database = Database(url, pool_size=2)
                try:
                    return await record_events(database, tenant, EVENTS - EVENTS // 2)
                finally:
                    await database.dispose()

            ids += asyncio.run(more())
            wait_for(lambda: len(sink.at("/crash")) >= EVENTS // 3, timeout=20, what="deliveries")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            delivered_before_kill = len({r.event_id for r in sink.at("/crash")})
            assert delivered_before_kill < EVENTS, "the worker finished before it was killed"

            second = start_worker(url)
            workers.append(second)
            wait_for(
                lambda: len({r.event_id for r in sink.at("/crash")}) == EVENTS,
                timeout=25,
                what="every event",
            )
            counts = Counter(r.event_id for r in sink.at("/crash"))
            assert set(counts) == set(ids)
            duplicates = sum(n - 1 for n in counts.values())
            assert duplicates <= WINDOW, f"{duplicates} duplicates > in-flight window {WINDOW}"

            async def undelivered() -> int:
                database = Database(url, pool_size=1)
                try:
                    async with database.engine.connect() as conn:
                        pending = await conn.scalar(
                            select(func.count()).where(deliveries.c.state != "delivered")
                        )
                        return int(pending or 0)
                finally:
                    await database.dispose()

            wait_for(lambda: asyncio.run(undelivered()) == 0, timeout=10, what="all recorded")
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=15) == 0
            print(f"killed after {delivered_before_kill} events; {duplicates} duplicates")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        server.stop()
        time.sleep(0)
