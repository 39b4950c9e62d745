"""Event stream delivery on PostgreSQL, with one and with two ``cashwrap worker`` processes.

Measured in one run, against one loopback sink (``bench/events_sink.py``, its own process):

* **floor** — plain aiohttp POSTs of the same bodies (signed the same way) to the same sink,
  16 in flight, from one process;
* **throughput** — events committed in one transaction, until the last one is acknowledged;
* **latency** — commit-to-delivery p50/p99 while a writer commits one event per transaction at a
  steady 500 events/s.

Targets: throughput ≥ 50 % of the floor; p99 < 250 ms. Needs PostgreSQL on 127.0.0.1:5432
(``CASHWRAP_BENCH_POSTGRES_URL``); creates and drops a database of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import httpx
from sqlalchemy import select

from cashwrap import migrate
from cashwrap.core.uow import Database
from cashwrap.events import catalog, integrations, policy
from cashwrap.events.models import event_records
from cashwrap.events.outbox import record
from cashwrap.events.schemas import IntegrationRequest
from cashwrap.tenants import service as tenants

SERVER = os.environ.get(
    "CASHWRAP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
THROUGHPUT_EVENTS = int(os.environ.get("CASHWRAP_BENCH_EVENTS", "10000"))
RATE = 500
LATENCY_SECONDS = 10
IN_FLIGHT = 16


def main() -> None:
    with postgres_database() as url, sink_process() as sink_url:
        tenant, secret = asyncio.run(setup(url, sink_url))
        results: dict[int, dict[str, float]] = {}
        floor = 0.0
        for workers in (1, 2):
            with worker_processes(url, workers):
                asyncio.run(warm_up(url, tenant, sink_url))
                throughput = asyncio.run(measure_throughput(url, tenant, sink_url))
                p50, p99, lost = asyncio.run(measure_latency(url, tenant, sink_url))
            if workers == 1:
                floor = asyncio.run(measure_floor(url, sink_url, secret))
            results[workers] = {"throughput": throughput, "p50": p50, "p99": p99, "lost": lost}
        report(floor, results)


def report(floor: float, results: dict[int, dict[str, float]]) -> None:
    print(
        f"floor: plain aiohttp POSTs, {IN_FLIGHT} in flight, same bodies, same sink: {floor:,.0f}/s"
    )
    print(
        f"{'workers':>8} {'events/s':>10} {'of floor':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'p99 target':>11} {'lost':>5}"
    )
    for workers, figures in results.items():
        ratio = figures["throughput"] / floor if floor else 0.0
        print(
            f"{workers:>8} {figures['throughput']:>10,.0f} {ratio:>8.0%} "
            f"{figures['p50']:>8.1f} {figures['p99']:>8.1f} {'< 250':>11} "
            f"{int(figures['lost']):>5}"
        )
    print(
        f"targets: throughput >= 50% of the floor; p99 commit-to-delivery < 250 ms at "
        f"{RATE} events/s"
    )


# ----------------------------------------------------------------------------- measurements


async def setup(url: str, sink_url: str) -> tuple[str, str]:
    database = Database(url, pool_size=2)
    try:
        async with database.transaction() as session:
            tenant = (await tenants.create_tenant(session, "bench")).tenant
            created = await integrations.register(
                session,
                tenant,
                IntegrationRequest.model_validate(
                    {"id": "oms", "callback_parameters": {"callback_url": sink_url + "/events"}}
                ),
            )
        return tenant, str(created["signing_secret"])
    finally:
        await database.dispose()


def payload() -> catalog.OrderCreated:
    now = datetime.now(UTC)
    return catalog.OrderCreated.model_validate(
        {
            "id": str(uuid.uuid4()),
            "external_id": "POS-0002",
            "channel_type": "store",
            "status": "open",
            "placed_at": now,
            "created_at": now,
            "currency": "USD",
            "store_id": "US01",
            "items": [
                {
                    "id": str(uuid.uuid4()),
                    "product_id": f"10007{n}",
                    "status": "complete",
                    "shipping_service_level": "IN_STORE_HANDOVER",
                    "price": {"item_price": 50.0, "item_list_price": 50.0, "item_tax": 4.0},
                }
                for n in range(3)
            ],
            "totals": {"net": 138.0, "tax": 12.0, "gross": 150.0, "total": 150.0},
            "payments": [
                {"method": "credit_card", "type": "captured", "amount": 150.0, "currency": "USD"}
            ],
        }
    )


async def record_one(database: Database, tenant: str) -> tuple[str, float]:
    event = payload()
    async with database.transaction() as session:
        event_id = await record(
            session, tenant=tenant, payload=event, entity_type="order", entity_id=event.id
        )
    return event_id, time.time()


async def sink_count(client: httpx.AsyncClient) -> int:
    return int((await client.get("/count")).json()["count"])


async def wait_for_count(client: httpx.AsyncClient, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while await sink_count(client) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sink did not receive {count} events in {seconds} s")
        await asyncio.sleep(0.05)


async def warm_up(url: str, tenant: str, sink_url: str) -> None:
    """One event through, then time for every worker to finish starting."""
    database = Database(url, pool_size=1)
    async with httpx.AsyncClient(base_url=sink_url) as client:
        await client.post("/reset")
        await record_one(database, tenant)
        await wait_for_count(client, 1, 60)
        await asyncio.sleep(3)
        await client.post("/reset")
    await database.dispose()


async def measure_throughput(url: str, tenant: str, sink_url: str) -> float:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            for _ in range(THROUGHPUT_EVENTS):
                event = payload()
                await record(
                    session, tenant=tenant, payload=event, entity_type="order", entity_id=event.id
                )
        committed = time.time()
    finally:
        await database.dispose()
    async with httpx.AsyncClient(base_url=sink_url, timeout=60) as client:
        await wait_for_count(client, THROUGHPUT_EVENTS, 300)
        arrivals = (await client.get("/stats")).json()
        await client.post("/reset")
    last = max(float(at) for _, at in arrivals)
    return THROUGHPUT_EVENTS / (last - committed)


WRITER_PROCESSES = 2


def write_at_rate(url: str, tenant: str, offset: int, step: int, start_at: float) -> list[Any]:
    """One writer process: commits every ``step``-th event of the schedule from ``offset``."""
    import uvloop

    async def run() -> list[tuple[str, float]]:
        database = Database(url, pool_size=8)
        commits: list[tuple[str, float]] = []
        slots = list(range(offset, RATE * LATENCY_SECONDS, step))

        async def writer() -> None:
            while slots:
                n = slots.pop(0)
                delay = start_at + n / RATE - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                commits.append(await record_one(database, tenant))

        try:
            await asyncio.gather(*(writer() for _ in range(8)))
        finally:
            await database.dispose()
        return commits

    return uvloop.run(run())


async def measure_latency(url: str, tenant: str, sink_url: str) -> tuple[float, float, float]:
    """Writers in processes of their own commit one event per transaction at RATE events/s."""
    from concurrent.futures import ProcessPoolExecutor

    total = RATE * LATENCY_SECONDS
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(WRITER_PROCESSES) as pool:
        start_at = time.time() + 3.0  # the processes start and connect meanwhile
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, write_at_rate, url, tenant, n, WRITER_PROCESSES, start_at
                )
                for n in range(WRITER_PROCESSES)
            )
        )
    commits = {event_id: at for part in parts for event_id, at in part}
    achieved = total / (max(commits.values()) - start_at)
    async with httpx.AsyncClient(base_url=sink_url, timeout=60) as client:
        with suppress(TimeoutError):
            await wait_for_count(client, total, 60)
        arrivals = (await client.get("/stats")).json()
        await client.post("/reset")
    first: dict[str, float] = {}
    for event_id, at in arrivals:
        first.setdefault(event_id, at)
    latencies = sorted((first[e] - c) * 1000 for e, c in commits.items() if e in first)
    lost = len(commits) - len(latencies)
    if achieved < RATE * 0.95:
        print(f"(the writers reached {achieved:,.0f} events/s of the {RATE} asked)")
    return percentile(latencies, 50), percentile(latencies, 99), float(lost)


async def measure_floor(url: str, sink_url: str, secret: str) -> float:
    database = Database(url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(event_records.c.id, event_records.c.body).limit(THROUGHPUT_EVENTS)
                )
            ).all()
    finally:
        await database.dispose()
    bodies = [(row.id, row.body.encode()) for row in rows]
    target = sink_url + "/floor"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT)) as http:
        position = 0

        async def sender() -> None:
            nonlocal position
            while position < len(bodies):
                event_id, body = bodies[position]
                position += 1
                headers = policy.headers(
                    event_id=event_id,
                    body=body,
                    secret=secret,
                    api_key=None,
                    timestamp=int(time.time()),
                )
                async with http.post(target, data=body, headers=headers) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    async with httpx.AsyncClient(base_url=sink_url) as client:
        await client.post("/reset")
    return len(bodies) / elapsed


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values)) - 1))
    return values[index]


# ----------------------------------------------------------------------------- processes


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"cashwrap_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(SERVER)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def sink_process() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.events_sink", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/count")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def worker_processes(url: str, count: int) -> Iterator[None]:
    env: dict[str, Any] = {
        **os.environ,
        "CASHWRAP_DATABASE_URL": url,
        "CASHWRAP_RUN_MIGRATIONS_ON_START": "false",
        "CASHWRAP_LOG_LEVEL": "WARNING",
    }
    processes = [
        subprocess.Popen([sys.executable, "-m", "cashwrap", "worker"], env=env)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
