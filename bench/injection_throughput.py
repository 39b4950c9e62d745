"""Order injection on PostgreSQL at concurrency 16, beside the floor of the same rows written raw.

In one run, on one fresh PostgreSQL database:

* **platform** — ``cashwrap serve`` in its own process (uvicorn, uvloop, httptools; the event
  dispatcher off so that only injection runs), measured with one process and with
  ``--workers 2`` (both cores), a tenant with 4 stores × 500 products in stock,
  ``skip_soft_routing_on_injection`` on. 16 clients (aiohttp, keep-alive) POST
  ``/v0/d/fulfill_order``: 3 items each, ``routing_strategy`` ``external`` to a random store, a
  new ``external_id`` every time. Each answer is checked (200, 3 item ids).
* **floor** — 16 asyncpg connections write, per order, the same rows in one statement (each
  table's rows a data-modifying ``WITH`` part of the entity clocks' upsert, its own
  transaction): the injection record, the order, 3 items, the reservation and its 3 items, the
  fulfillment request and its 3 items, 2 events, 2 outbox entries, 2 entity clocks.

Targets: ≥ 500 orders/s (25 × NewStore's documented 20/s) and ≥ 40 % of the floor.

Under each platform figure, the CPU an order took during the platform's rounds — the platform's
processes, PostgreSQL's and the whole machine's, read from ``/proc`` (``bench/cpu_time.py``) —
and so the most orders a second this machine's cores allow at that cost.
Under that, the floor's: PostgreSQL's CPU an order and the machine's during the floor's rounds.

What the figures taught (one process): the first version cost 24 ms of CPU an order (23
statements, the ORM's reservation path, the configuration read for every order) — the
configuration cache, the reservation in three Core statements, batched events and Core
connections brought it to ≈ 6 ms and 18–21 % of the floor; SQLAlchemy's execution of those
compiled statements was then most of it. Running them on the driver (``cashwrap.core.sql``),
with multi-row INSERTs and JSON written by orjson: 28–37 % of the floor with one process and
34–38 % with two, where the previous version reached 18–20 % and 23–25 % the same days,
against a floor of one multi-row INSERT per table in a transaction. Sending the rows nothing
reads back inside the next statement (``cashwrap.core.sql.insert_later``) took the platform to
7 round trips an order, fewer than that floor's 13, so the floor became one statement an order
(1.7–1.9 times as fast): 191–192 / 224–246 orders/s, 22–23 % / 26 % of it, where the version
before did 197 / 210 orders/s the same morning (41 % / 46 % of the old floor). The p99
(≈ 200–250 ms against a p50 of 40–60 ms) was the garbage collector: a full collection walked the
≈ 240,000 objects alive from start-up every thousand or so orders, 150–200 ms each; ``cashwrap
serve`` now freezes them and collects the youngest generation less often (``core.gc_tuning``):
p99 100–115 ms against 207–248 for the version before, in runs taken in turns the same evening.
With ``ANALYZE`` every 5 s standing in for autovacuum (off on the development server; without
it the stock check read the store's 500 stock rows to lock three): 266–269 / 284–300 orders/s,
28–30 % of the floor, an order 3.0–3.3 ms of the platform's CPU and 2.2–2.7 ms of PostgreSQL's.
The order's row and the injection record sent with the statements after them and the new
entities' event counters inserted instead of read back: 4 round trips an order; in turns with
the version of 7 (ten of 800 orders each, both up at once), 207 against 196 orders/s, the
machine's CPU an order 8.06 against 8.59 ms, on a day the machine ran at about half speed.
The stock check made to count the holds once the stock rows are locked (migration 0012, so that
orders at once for the last units cannot all get them): same round trips; run after run with the
version before, 257 / 251 against 263 / 282 orders/s (31 % / 32 % against 28 % / 38 % of the
floor) on a slow, noisy day — no difference the machine can show.
The statement timeout (asyncpg's ``command_timeout``, a timer for every statement, so that a
network gone silent is a 503, not a hung request): run after run on a slower day still, 237 / 254
orders/s with it against 223 / 240 without (39 % / 36 % against 39 % / 33 % of floors of
577–722; the platform's CPU an order 3.8–4.1 ms both) — no cost the machine can show.
``CASHWRAP_BENCH_INJECTION_ORDERS`` sets the measured orders (default 4000, after 400 to warm
up); ``CASHWRAP_BENCH_POSTGRES_URL`` the server (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
from tests.catalog.zips import run_import, write_zip
from tests.support.stores import fulfillment_config

from bench import cpu_time
from bench.cpu_time import CpuTime
from bench.planner_statistics import kept_analyzed
from cashwrap import migrate
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database
from cashwrap.tenants import service as tenants

SERVER = os.environ.get(
    "CASHWRAP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ORDERS = int(os.environ.get("CASHWRAP_BENCH_INJECTION_ORDERS", "4000"))
WARM_UP = 400
ROUNDS = 4
ROUND_ORDERS = ORDERS // ROUNDS
MEASURED_ORDERS = ROUND_ORDERS * ROUNDS
CONCURRENCY = int(os.environ.get("CASHWRAP_BENCH_INJECTION_CONCURRENCY", "16"))
STORES = ("US01", "US02", "US03", "US04")
PRODUCTS = [f"P{number:05d}" for number in range(500)]
TARGET_RATE = 500.0
WORKERS = (1, 2)
TARGET_RATIO = 0.40


def main() -> None:
    results: dict[int, tuple[float, list[float], float, CpuTime, CpuTime]] = {}
    with fresh_postgres() as (url, dsn):
        tenant = asyncio.run(create_tenant(url, "bench"))
        floor_tenant = asyncio.run(create_tenant(url, "floor"))
        with (
            tempfile.TemporaryDirectory(prefix="cashwrap-bench-injection-") as folder,
            kept_analyzed(dsn) as statistics_kept,
        ):
            token = ""
            for workers in WORKERS:
                with platform_process(url, workers) as (base, pid):
                    token = token or prepare(base, tenant, Path(folder))
                    results[workers] = asyncio.run(
                        measure(base, pid, token, dsn, floor_tenant["tenant"])
                    )
    print(f"planner statistics: {statistics_kept}")
    print(
        f"orders: {MEASURED_ORDERS} (3 items each) after {WARM_UP} to warm up, concurrency "
        f"{CONCURRENCY}, in {ROUNDS} rounds alternating with the floor (the machine's other "
        "load hits both alike)"
    )
    for workers, (rate, latencies, floor, spent, floor_spent) in results.items():
        p50 = statistics.median(latencies)
        p99 = sorted(latencies)[int(len(latencies) * 0.99)]
        print(
            f"POST /v0/d/fulfill_order, serve --workers {workers}: {rate:6.0f} orders/s   "
            f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   floor (same rows, asyncpg) {floor:6.0f} "
            f"orders/s: {rate / floor:.0%} (target ≥ {TARGET_RATIO:.0%}); "
            f"{rate / TARGET_RATE:.0%} of the {TARGET_RATE:.0f} orders/s target"
        )
        print(f"    {spent.per(MEASURED_ORDERS)}")
        print(f"    {floor_spent.per_floor(MEASURED_ORDERS)}")


async def measure(
    base: str, pid: int, token: str, dsn: str, floor_tenant: str
) -> tuple[float, list[float], float, CpuTime, CpuTime]:
    """Platform and floor in alternating rounds: (orders/s, latencies in ms, floor orders/s,
    the CPU the platform's rounds took, the CPU the floor's took)."""
    floor = await Floor.open(dsn, floor_tenant)
    try:
        await inject(base, token, WARM_UP)
        await floor.run(WARM_UP)
        platform_seconds = floor_seconds = 0.0
        latencies: list[float] = []
        spent = floor_spent = cpu_time.ZERO
        for _ in range(ROUNDS):
            before = cpu_time.read(pid)
            rate, measured = await inject(base, token, ROUND_ORDERS)
            spent += cpu_time.read(pid) - before
            platform_seconds += ROUND_ORDERS / rate
            latencies += measured
            before = cpu_time.read(pid)
            floor_seconds += ROUND_ORDERS / await floor.run(ROUND_ORDERS)
            floor_spent += cpu_time.read(pid) - before
    finally:
        await floor.close()
    return (
        MEASURED_ORDERS / platform_seconds,
        latencies,
        MEASURED_ORDERS / floor_seconds,
        spent,
        floor_spent,
    )


# --- the platform -------------------------------------------------------------------------------


def prepare(base: str, tenant: dict[str, str], folder: Path) -> str:
    with httpx.Client(base_url=base, timeout=120) as client:
        token = client.post(
            f"/auth/realms/{tenant['tenant']}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant["client_id"],
                "client_secret": tenant["client_secret"],
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        members: dict[str, Any] = {
            "store_mapping.jsonl": [
                {"store_id": f"store-{node}", "fulfillment_node_id": node, "country_code": "US"}
                for node in STORES
            ],
            "availabilities.jsonl": [
                {"fulfillment_node_id": node, "product_id": product, "quantity": 1_000_000}
                for node in STORES
                for product in PRODUCTS
            ],
        }
        job = run_import(client, write_zip(folder / "stock.zip", members), ["availabilities"])
        assert job["status"] == "finished", job
        client.put("/v0/config/fulfillment", json=fulfillment_config(STORES)).raise_for_status()
        client.post(
            "/v1/r/config/order_injection",
            params={"version": 1},
            json={"skip_soft_routing_on_injection": True},
        ).raise_for_status()
    return str(token)


def payload(number: int) -> bytes:
    products = random.sample(PRODUCTS, 3)
    items = [
        {
            "external_item_id": f"L{index}",
            "product_id": product,
            "price": {
                "item_price": 100.0,
                "item_list_price": 100.0,
                "item_tax_lines": [{"amount": 8.88, "rate": 0.08875, "name": "NY SALES TAX"}],
            },
        }
        for index, product in enumerate(products)
    ]
    body = {
        "external_id": f"B-{number}-{uuid.uuid4().hex[:8]}",
        "shop": "storefront-catalog-en",
        "shop_locale": "en-US",
        "channel_type": "web",
        "channel_name": "external-oms",
        "currency": "USD",
        "price_method": "tax_excluded",
        "placed_at": "2024-03-01T10:15:00Z",
        "customer_name": "Jane Doe",
        "customer_email": "jane@example.com",
        "shipping_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "address_line_1": "1 Main St",
            "city": "New York",
            "zip_code": "10001",
            "country": "US",
        },
        "shipments": [
            {
                "items": items,
                "shipping_option": {
                    "service_level_identifier": "Priority",
                    "price": 0,
                    "tax": 0,
                    "routing_strategy": {
                        "strategy": "external",
                        "fulfillment_node_id": random.choice(STORES),
                    },
                },
            }
        ],
        "payments": [
            {
                "processor": "external",
                "correlation_ref": "PAY-1",
                "type": "captured",
                "amount": 326.64,
                "method": "credit_card",
                "processed_at": "2024-03-01T10:14:59Z",
            }
        ],
    }
    return json.dumps(body).encode()


async def inject(base: str, token: str, count: int) -> tuple[float, list[float]]:
    bodies = [payload(number) for number in range(count)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def worker() -> None:
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                began = time.perf_counter()
                async with session.post("/v0/d/fulfill_order", data=body) as response:
                    answer = await response.read()
                    assert response.status == 200, answer[:500]
                latencies.append((time.perf_counter() - began) * 1000)
                assert len(json.loads(answer)["items"]) == 3

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
    return count / elapsed, latencies


# --- the floor ----------------------------------------------------------------------------------


def _insert(table: str, columns: list[str], rows: int, offset: int = 0) -> str:
    width = len(columns)
    values = ", ".join(
        "(" + ", ".join(f"${offset + row * width + column + 1}" for column in range(width)) + ")"
        for row in range(rows)
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"  # noqa: S608 - names from the schema


_COLUMNS: dict[str, list[str]] = {}


class Floor:
    """The same rows written with asyncpg, 16 connections, one statement per order."""

    def __init__(self, pool: Any, tenant: str) -> None:
        self.pool = pool
        self.tenant = tenant
        self.next = 0

    @classmethod
    async def open(cls, dsn: str, tenant: str) -> Floor:
        pool = await asyncpg.create_pool(dsn, min_size=CONCURRENCY, max_size=CONCURRENCY)
        assert pool is not None
        async with pool.acquire() as connection:
            for table in (
                "order_injections", "orders", "order_items", "reservations", "reservation_items",
                "fulfillment_requests", "fulfillment_request_items", "event_records",
                "event_outbox", "event_entity_clocks",
            ):  # fmt: skip
                rows = await connection.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                    "AND column_default IS NULL ORDER BY ordinal_position",
                    table,
                )
                _COLUMNS[table] = [row["column_name"] for row in rows]
        return cls(pool, tenant)

    async def run(self, count: int) -> float:
        """Orders per second writing ``count`` orders."""
        numbers = list(range(self.next, self.next + count))
        self.next += count

        async def worker() -> None:
            async with self.pool.acquire() as connection:
                while numbers:
                    # One statement is its own transaction: no BEGIN and COMMIT to send.
                    await _write_order(connection, self.tenant, numbers.pop())

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - began)

    async def close(self) -> None:
        await self.pool.close()


async def _write_order(connection: Any, tenant: str, number: int) -> None:
    now = datetime.now(UTC)
    order_id, request_id, reservation_id = new_id(), new_id(), new_id()
    external_id = f"F-{number}-{uuid.uuid4().hex[:6]}"
    node = random.choice(STORES)
    products = random.sample(PRODUCTS, 3)
    item_ids = [new_id() for _ in products]
    address = json.dumps({"address_line_1": "1 Main St", "country": "US", "zip_code": "10001"})
    tax_lines = json.dumps([{"amount": 8.88, "rate": 0.08875, "name": "NY SALES TAX"}])
    body = json.dumps({"external_id": external_id, "id": order_id, "items": item_ids})
    values: dict[str, list[dict[str, Any]]] = {
        "order_injections": [
            {
                "tenant": tenant,
                "external_id": external_id,
                "fingerprint": "f" * 64,
                "order_id": order_id,
                "status": 200,
                "response": body,
                "created_at": now,
            }
        ],
        "orders": [
            {
                "id": order_id,
                "tenant": tenant,
                "external_id": external_id,
                "source": "injection",
                "origin": "external",
                "channel_type": "web",
                "channel_name": "external-oms",
                "fulfillment_type": "traditional",
                "status": "open",
                "payment_status": "captured",
                "currency": "USD",
                "price_method": "tax_excluded",
                "subtotal": 30000,
                "discount_total": 0,
                "tax_total": 2664,
                "shipping_total": 0,
                "shipping_tax": 0,
                "grand_total": 32664,
                "shop": "storefront-catalog-en",
                "shop_locale": "en-US",
                "store_id": None,
                "associate_id": None,
                "associate_email": None,
                "customer_id": None,
                "customer_email": "jane@example.com",
                "customer_name": "Jane Doe",
                "customer_language": None,
                "billing_address": None,
                "shipping_address": address,
                "extended_attributes": "[]",
                "notification_blacklist": "[]",
                "is_historical": False,
                "is_exchange": False,
                "is_preconfirmed": False,
                "is_offline": False,
                "placed_at": now,
                "created_at": now,
                "updated_at": now,
                "completed_at": None,
                "cancelled_at": None,
                "cancellation_reason": None,
                "cancellation_reason_code": None,
            }
        ],
        "order_items": [
            {
                "id": item_ids[i],
                "tenant": tenant,
                "order_id": order_id,
                "position": i,
                "external_item_id": f"L{i}",
                "product_id": products[i],
                "product_name": None,
                "shipping_service_level": "Priority",
                "fulfilled_by": "store",
                "fulfillment_location_id": node,
                "shipment_index": 0,
                "status": "in_fulfillment",
                "list_price": 10000,
                "price": 10000,
                "tax": 888,
                "discount": 0,
                "order_discount": 0,
                "pricebook": "default",
                "tax_lines": tax_lines,
                "extended_attributes": "[]",
                "details": "{}",
                "addon_parent_item_id": None,
                "completed_at": None,
                "cancelled_at": None,
            }
            for i in range(3)
        ],
        "reservations": [
            {
                "id": reservation_id,
                "tenant": tenant,
                "location_id": node,
                "customer_profile_id": None,
                "associate_id": None,
                "external_id": None,
                "display_id": "ABCDEFGH",
                "order_id": order_id,
                "status": "RESERVED",
                "idempotency_key": f"order:{order_id}:{node}",
                "request_hash": "h" * 64,
                "expires_at": now + timedelta(days=1),
                "created_at": now,
                "updated_at": now,
            }
        ],
        "reservation_items": [
            {
                "id": new_id(),
                "reservation_id": reservation_id,
                "tenant": tenant,
                "location_id": node,
                "product_id": products[i],
                "status": "RESERVED",
                "cart_id": None,
                "order_item_id": item_ids[i],
                "position": i,
                "expires_at": now + timedelta(days=1),
                "updated_at": now,
            }
            for i in range(3)
        ],
        "fulfillment_requests": [
            {
                "id": request_id,
                "tenant": tenant,
                "order_id": order_id,
                "external_order_id": external_id,
                "fulfillment_node_id": node,
                "store_id": f"store-{node}",
                "service_level": "Priority",
                "kind": "ship",
                "shipping_type": "traditional_carrier",
                "routing_strategy": "external",
                "shipment_index": 0,
                "status": "dispatched",
                "associate_id": None,
                "reservation_id": reservation_id,
                "pickup_code": None,
                "carrier": None,
                "rate": None,
                "tracking_code": None,
                "shipment_id": None,
                "booking_attempt": 0,
                "label": None,
                "package": None,
                "failure_reason": None,
                "created_at": now,
                "updated_at": now,
                "completed_at": None,
            }
        ],
        "fulfillment_request_items": [
            {
                "fulfillment_request_id": request_id,
                "item_id": item_ids[i],
                "tenant": tenant,
                "position": i,
                "product_id": products[i],
                "status": "dispatched",
                "picked_at": None,
                "packed_at": None,
                "carrier": None,
                "tracking_code": None,
                "shipped_at": None,
                "reason": None,
            }
            for i in range(3)
        ],
    }
    events = [("order.created", "order", order_id), ("fulfillment_request.assigned",
              "fulfillment_request", request_id)]  # fmt: skip
    event_ids = [new_id(), new_id()]
    event_body = json.dumps({"payload": {"id": order_id, "items": products}, "padding": "x" * 1500})
    values["event_records"] = [
        {"id": event_ids[i], "tenant": tenant, "name": name, "version": 1,
         "entity_type": kind, "entity_id": entity, "logical_timestamp": 1, "body": event_body,
         "created_at": now}
        for i, (name, kind, entity) in enumerate(events)
    ]  # fmt: skip
    values["event_outbox"] = [
        {"event_id": event_ids[i], "tenant": tenant, "name": name, "body": event_body,
         "created_at": now}
        for i, (name, _, _) in enumerate(events)
    ]  # fmt: skip
    # One statement: every table's rows as a data-modifying WITH part of the clocks' upsert
    # (fewer round trips than the platform's, which also reads the stock and the record first).
    parts: list[str] = []
    arguments: list[Any] = []
    for table, rows in values.items():
        columns = [column for column in _COLUMNS[table] if column in rows[0]]
        parts.append(f"{table}_rows AS ({_insert(table, columns, len(rows), len(arguments))})")
        arguments += [row[column] for row in rows for column in columns]
    clocks = [(tenant, "order", order_id, 1), (tenant, "fulfillment_request", request_id, 1)]
    upsert = (
        _insert("event_entity_clocks", ["tenant", "entity_type", "entity_id", "value"], 2,
                len(arguments))
        + " ON CONFLICT (tenant, entity_type, entity_id) DO UPDATE"
        " SET value = event_entity_clocks.value + 1"
    )  # fmt: skip
    arguments += [value for clock in clocks for value in clock]
    await connection.execute(f"WITH {', '.join(parts)} {upsert}", *arguments)


# --- processes and databases --------------------------------------------------------------------


@contextmanager
def fresh_postgres() -> Iterator[tuple[str, str]]:
    name = f"cashwrap_bench_injection_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    dsn = f"{SERVER.rsplit('/', 1)[0]}/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    try:
        migrate.upgrade(url)
        yield url, dsn
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(SERVER)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_tenant(url: str, prefix: str) -> dict[str, str]:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            created = await tenants.create_tenant(session, f"{prefix}-{uuid.uuid4().hex[:8]}")
    finally:
        await database.dispose()
    return {
        "tenant": created.tenant,
        "client_id": created.client_id,
        "client_secret": created.client_secret,
    }


@contextmanager
def platform_process(
    url: str, workers: int, launcher: list[str] | None = None
) -> Iterator[tuple[str, int]]:
    """The platform's base URL and process id; ``launcher`` runs ``cashwrap`` another way (the
    CPU profile's sampler)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_DATABASE_URL=url,
        CASHWRAP_DATABASE_POOL_SIZE="20",
        CASHWRAP_RUN_MIGRATIONS_ON_START="false",
        CASHWRAP_DISPATCHER_ENABLED="false",
        CASHWRAP_LOG_LEVEL="WARNING",
        CASHWRAP_INJECTION_RATE_LIMIT_PER_SECOND="0",
        CASHWRAP_FULFILLMENT_HANDOVER_POLL_SECONDS="0",
        CASHWRAP_IMPORT_ALLOW_LOCAL_FILES="true",
    )
    process = subprocess.Popen(
        [
            *(launcher or [sys.executable, "-m", "cashwrap"]),
            *("serve", "--port", str(port), "--workers", str(workers)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with suppress(httpx.TransportError):
                httpx.get(f"{base}/health/live")
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the platform did not come up")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
