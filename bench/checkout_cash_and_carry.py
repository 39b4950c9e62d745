"""A cash & carry sale at 16 tills on PostgreSQL, beside the floor of its rows written raw.

In one run, on a database of its own:

* **platform** — ``cashwrap serve`` (uvicorn, uvloop, httptools) in its own process; this
  process is the load: 16 associates, each selling in a loop with aiohttp over keep-alive
  connections — create a cart and add its line (``POST /checkout/carts``, ``POST …/items``:
  NewStore's calls), pay cash and hand over at the till (``POST …/checkout`` with
  ``hand_over``). An order counts when its checkout answered 201 (the order, its payment
  account, the four events of the seed's sequence and the store's stock are then committed).
  Measured three times: with the line added by its own call (in rounds alternating with the
  floor, so that the machine's other load weighs on both alike), with the cart created with its
  line (cashwrap's ``items`` member: two calls a sale), and with the line's own call again on
  ``cashwrap serve --workers 2``;
* **floor** — the same rows written raw with asyncpg, 16 connections: the order number by a
  statement of its own, then one transaction per order — cart, line, checkout attempt,
  order, items, payment account, instrument, transactions, the four events and their outbox
  entries, the entity clocks, and last the store's stock (the platform's order of work: an
  earlier floor took the number inside the sale's transaction and so queued every writer on
  the tenant's counter row, which made it a lower bar).

Figures: orders/s, and p50/p99 of a whole sale (cart to handed over) and of each call.
Under each platform figure, the CPU a sale took — the platform's processes, PostgreSQL's and the
whole machine's, read from ``/proc`` (``bench/cpu_time.py``) — and so the most sales a second
this machine's cores allow at that cost; under the floor's figure, its PostgreSQL's CPU a sale
and the machine's. Targets: p99 < 100 ms and ≥ 200 orders/s. Needs
PostgreSQL on 127.0.0.1:5432 (``CASHWRAP_BENCH_POSTGRES_URL``).
``CASHWRAP_BENCH_CHECKOUT_SECONDS`` sets the measured time (default 20 s, after 3 s of warm-up).

What the figures taught (three calls a sale, same machine, other work running on it):

* first version — claim and placement in two transactions, events one by one, the order
  rows then completed and re-read: 47 statements a sale, 21 orders/s, p99 1.4 s;
* a cash sale asks no other system, so claim, payment and placement became one transaction;
  the events of a transaction are written with one INSERT per table
  (``cashwrap.events.outbox.batched``); items handed over at the till are written complete
  (``place_order(hand_over=…)``); the settings a checkout reads come in one query
  (``config.service.selling``): 26 statements, but no faster — the tills queued on the
  tenant's order-number row and the store's stock row, locked until each sale committed;
* the order number is taken in a short transaction of its own before the sale's (PostgreSQL),
  the stock row updated last: p99 from 1.3–2.1 s to 0.5–0.6 s, throughput up by a half;
* the platform process is now CPU-bound at one core, ≈ 10 ms of CPU a sale; in a closed loop
  of 16 associates the latency is 16 / throughput;
* ``serve --workers 2`` (measured third): the load, PostgreSQL and two platform processes
  saturate the two cores, so it adds nothing measurable here (84–98 and 81–110 orders/s);
* the sale's statements on the driver (``cashwrap.core.sql``: compiled once by SQLAlchemy, run
  by asyncpg in the session's transaction), multi-row INSERTs, one guarded UPDATE compiled per
  table for status moves: the sale's transaction executes 16 statements instead of 24 and the
  CPU of a sale (in process, one at a time) fell by about a third; against the fairer floor
  the platform reaches 22–23 % (61.8–89.2 orders/s as the shared machine's speed varied),
  24–28 % with two processes, where the previous version reached 13–15 % the same days;
* the order number by one statement that commits by itself, and the rows nothing reads back
  before the commit sent inside the next statement (``cashwrap.core.sql.insert_later``): 25
  round trips a sale instead of 34; 66.3–69.0 orders/s (25–27 % of a floor that now takes its number
  the same way) against 56.8 (24 %) for the version before the same morning — within the
  shared machine's noise; the checkout call's p50 126 ms against 176. Side by side, the
  platform process's CPU a sale: 10.8–12.7 ms against 13.4–14.6;
* the tail was partly the garbage collector (a full collection of the ≈ 240,000 objects alive
  from start-up, 150–200 ms, every thousand or so requests): ``cashwrap serve`` freezes them
  and collects the youngest generation less often (``core.gc_tuning``) — sale p99 246–283 ms
  against 323–332 for the version before, in turns the same evening, at the same 97–106
  orders/s (23–26 % of the floor);
* printing the CPU a sale took showed PostgreSQL's share at 7–10 ms and growing: with
  autovacuum off, the plan cached for finding a cart by its id read every cart of the tenant.
  With ``ANALYZE`` every 5 s standing in for autovacuum (``bench/planner_statistics.py``):
  104–147 orders/s, 29–33 % of the floor, PostgreSQL's CPU a sale 3.6–4.9 ms;
* a cart read with its lines in one statement, by its primary key alone (one round trip fewer
  when a line is added and at checkout), and the checks every request passes at the edge (text
  no database stores): within the noise of the version before, in turns the same morning —
  99–110 orders/s (30–32 %) against 105–131 (28–30 %); the checks take under 1 % of the
  platform's CPU in the profiles;
* the settings a line and a checkout read kept for a moment (forgotten when the process
  commits a configuration change), a line's titles and price in one statement, an empty cart
  one INSERT that commits by itself, the payment account and the stock update sent with the
  statements after them: 15 statements a sale instead of 23. Both versions up at once, the load
  sent to one at a time in turns of 5 s: 94.5 against 79.6 sales/s (medians of eight turns
  each), the platform's CPU a sale 9.7 against 11.6 ms, PostgreSQL's 5.1 against 6.2;
* the attempt's row sent with the cart's read and the order's with the statement after it
  (a taken key or number still answered), the new order's and account's event counters
  inserted instead of read back, a cash sale's cart moved with the attempt's answer: 11
  statements a sale. In turns with the version of 15: 82.3 against 79.0 sales/s with three
  calls, 96.1 against 90.5 with two (faster in all 8 pairs), the machine's CPU a sale 16.9
  against 18.6 ms;
* the event dispatcher's claiming statements built once instead of at every claim (the
  dispatcher was 17 % of a wall-clock profiler's samples): 93.5 against 88.7 sales/s in turns.
  Sampled by CPU time (``bench/cpu_profile.py``) the dispatcher is 2–3 % of the platform's CPU;
  SQLAlchemy's own code is 20 % — the session's life, three times a sale — and FastAPI,
  Starlette and the middlewares between the server and the endpoints 29 %;
* the floor's PostgreSQL took 4.9 ms a sale against the platform's 5.7: what separates the
  platform from the floor is its own CPU (12–14 ms a sale, the floor's whole machine 8.5);
* the cart's lines read once its row is locked (migration 0012, so that calls at once on one
  cart see each other's lines): same round trips; the locking transaction alone, in turns
  with the join before, 333–414 against 280–430 µs (medians of 500, six turns); the sale run
  after run 87.7 against 81.3 sales/s with three calls on a slow, noisy day — no difference
  the machine can show.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from bench import cpu_time
from bench.events_stream import free_port, postgres_database
from bench.planner_statistics import kept_analyzed
from cashwrap.core.uow import Database
from cashwrap.tenants import service as tenants

SECONDS = float(os.environ.get("CASHWRAP_BENCH_CHECKOUT_SECONDS", "20"))
WARM_UP = 3.0
ASSOCIATES = 16
TARGET_P99_MS = 100.0
TARGET_RATE = 200.0
STORE = "store-1"
NODE = "US01"
PRODUCT = "tee"


ROUNDS = 4


def main() -> None:
    with postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        credentials = asyncio.run(create_tenant(url))
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        with kept_analyzed(dsn) as statistics_kept:
            with platform_process(url, workers=1) as (base, pid):
                token = prepare(base, credentials, Path(folder))
                asyncio.run(sell(base, token, WARM_UP, inline=False))
                # The platform and the floor take turns, so that the machine's other load (it
                # is shared) weighs on both alike and their ratio holds.
                rounds = [
                    asyncio.run(alternate(base, pid, token, dsn, credentials["tenant"]))
                    for _ in range(ROUNDS)
                ]
                two_calls = asyncio.run(sell(base, token, SECONDS / 2, inline=True, pid=pid))
            with platform_process(url, workers=2) as (base, pid):
                asyncio.run(sell(base, token, WARM_UP, inline=False))
                two_workers = asyncio.run(sell(base, token, SECONDS / 2, inline=False, pid=pid))
    print(f"planner statistics: {statistics_kept}")
    report(
        {
            "3 calls, 1 process": merged([platform for platform, _ in rounds]),
            "2 calls, 1 process": two_calls,
            "3 calls, serve --workers 2": two_workers,
        },
        merged([floor for _, floor in rounds]),
    )


async def alternate(
    base: str, pid: int, token: str, dsn: str, tenant: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One round: the platform's three calls a sale, then the floor, each SECONDS / ROUNDS."""
    platform = await sell(base, token, SECONDS / ROUNDS, inline=False, pid=pid)
    return platform, await write_raw(dsn, tenant, SECONDS / ROUNDS, pid)


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    calls: dict[str, list[float]] = {}
    for run in runs:
        for name, values in run.get("calls", {}).items():
            calls.setdefault(name, []).extend(values)
    return {
        "sales": [value for run in runs for value in run["sales"]],
        "calls": calls,
        "elapsed": sum(run["elapsed"] for run in runs),
        "failures": [failure for run in runs for failure in run.get("failures", [])],
        "cpu": sum((run.get("cpu", cpu_time.ZERO) for run in runs), cpu_time.ZERO),
    }


# ----------------------------------------------------------------------------- the platform


async def sell(
    base: str, token: str, seconds: float, *, inline: bool, pid: int = 0
) -> dict[str, Any]:
    """Sell for ``seconds``; with the platform's ``pid``, the CPU the sales took too."""
    sales: list[float] = []
    calls: dict[str, list[float]] = {"cart": [], "line": [], "checkout": []}
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=ASSOCIATES)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector) as client:
        before = cpu_time.read(pid) if pid else cpu_time.ZERO
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def associate(number: int) -> None:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    await one_sale(client, number, calls, inline=inline)
                except AssertionError as error:
                    failures.append(str(error))
                    continue
                sales.append(time.perf_counter() - began)

        await asyncio.gather(*(associate(n) for n in range(ASSOCIATES)))
        elapsed = time.perf_counter() - started
        spent = cpu_time.read(pid) - before if pid else cpu_time.ZERO
    return {
        "sales": sales,
        "calls": calls,
        "elapsed": elapsed,
        "failures": failures,
        "cpu": spent,
    }


async def one_sale(
    client: aiohttp.ClientSession,
    number: int,
    calls: dict[str, list[float]],
    *,
    inline: bool = False,
) -> None:
    began = time.perf_counter()
    line = {"product_id": PRODUCT, "quantity": 2}
    cart = {
        "associate_id": f"associate-{number}",
        "catalog": "storefront-catalog-en",
        "channel_id": STORE,
        "currency": "USD",
        "locale": "en_US",
    }
    async with client.post(
        "/checkout/carts", json=cart | ({"items": [line]} if inline else {})
    ) as response:
        body = await response.json()
        assert response.status == 201, body
    cart_id = body["id"]
    now = time.perf_counter()
    calls["cart"].append(now - began)
    if not inline:
        async with client.post(f"/checkout/carts/{cart_id}/items", json=line) as response:
            assert response.status == 201, await response.text()
        began, now = now, time.perf_counter()
        calls["line"].append(now - began)
    async with client.post(
        f"/checkout/carts/{cart_id}/checkout",
        json={"payments": [{"method": "cash"}], "hand_over": True},
        headers={"Idempotency-Key": f"bench-{cart_id}"},
    ) as response:
        body = await response.json()
        assert response.status == 201, body
        assert body["status_label"] == "Complete", body
    calls["checkout"].append(time.perf_counter() - now)


def prepare(base: str, credentials: dict[str, str], folder: Path) -> str:
    """The store, the product and the configuration, through the platform's API."""
    with httpx.Client(base_url=base, timeout=60) as client:
        token: str = client.post(
            f"/auth/realms/{credentials['tenant']}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        archive = folder / "store.zip"
        archive.write_bytes(
            zip_of(
                {
                    "products.jsonl": [
                        {
                            "product_id": PRODUCT,
                            "title": "Organic cotton tee",
                            "prices": [{"pricebook": "default", "currency": "USD", "value": 19.99}],
                        }
                    ],
                    "store_mapping.jsonl": [
                        {"store_id": STORE, "fulfillment_node_id": NODE, "country_code": "US"}
                    ],
                    "availabilities.jsonl": [
                        {"fulfillment_node_id": NODE, "product_id": PRODUCT, "quantity": 1_000_000}
                    ],
                }
            )
        )
        job = client.post(
            "/v0/d/import",
            json={
                "provider": "bench",
                "source_uri": archive.as_uri(),
                "entities": ["products", "availabilities"],
            },
        ).json()
        client.post(f"/v0/d/import/{job['id']}/start").raise_for_status()
        deadline = time.monotonic() + 60
        while client.get(f"/v0/d/import/{job['id']}").json()["status"] != "finished":
            if time.monotonic() > deadline:
                raise RuntimeError("the import did not finish")
            time.sleep(0.1)
        client.put(
            "/v0/config/sales_order", json={"enabled": True, "order_number_prefix": "B-"}
        ).raise_for_status()
        client.put("/v0/config/external_oms", json={"enabled": True}).raise_for_status()
    return token


def zip_of(members: dict[str, list[dict[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, lines in members.items():
            archive.writestr(name, "".join(json.dumps(line) + "\n" for line in lines))
    return buffer.getvalue()


async def create_tenant(url: str) -> dict[str, str]:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            created = await tenants.create_tenant(session, "bench")
        return {
            "tenant": created.tenant,
            "client_id": created.client_id,
            "client_secret": created.client_secret,
        }
    finally:
        await database.dispose()


@contextmanager
def platform_process(
    url: str, *, workers: int, launcher: list[str] | None = None
) -> Iterator[tuple[str, int]]:
    """The platform's base URL and process id; ``launcher`` runs ``cashwrap`` another way (the
    CPU profile's sampler)."""
    port = free_port()
    env = {
        **os.environ,
        "CASHWRAP_DATABASE_URL": url,
        "CASHWRAP_LOG_LEVEL": "WARNING",
        "CASHWRAP_DATABASE_POOL_SIZE": "20",
        "CASHWRAP_IMPORT_ALLOW_LOCAL_FILES": "true",
    }
    process = subprocess.Popen(
        [
            *(launcher or [sys.executable, "-m", "cashwrap"]),
            *("serve", "--port", str(port), "--workers", str(workers)),
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


# ----------------------------------------------------------------------------- the floor


async def write_raw(dsn: str, tenant: str, seconds: float, pid: int) -> dict[str, Any]:
    """Write orders for ``seconds``, and the CPU they took (``pid``: the platform, idle now)."""
    pool = await asyncpg.create_pool(dsn, min_size=ASSOCIATES, max_size=ASSOCIATES)
    latencies: list[float] = []
    counter = iter(range(10**9))
    try:
        before = cpu_time.read(pid)
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def writer() -> None:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                async with pool.acquire() as connection:
                    # As the platform does: the order number by a statement of its own (it
                    # commits at once), so that the tenant's counter row is not locked for a
                    # whole sale.
                    number = await connection.fetchval(_NEXT_NUMBER, tenant)
                    async with connection.transaction():
                        await one_order_raw(connection, tenant, next(counter), number)
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(writer() for _ in range(ASSOCIATES)))
        elapsed = time.perf_counter() - started
        spent = cpu_time.read(pid) - before
    finally:
        await pool.close()
    return {"sales": latencies, "elapsed": elapsed, "cpu": spent}


def _id() -> str:
    return str(uuid.uuid4())


_NEXT_NUMBER = (
    "INSERT INTO order_number_sequences (tenant, next_value) VALUES ($1, 1)"
    " ON CONFLICT (tenant) DO UPDATE SET next_value = order_number_sequences.next_value + 1"
    " RETURNING next_value"
)


async def one_order_raw(connection: Any, tenant: str, n: int, number: int) -> None:
    """The rows a cash & carry sale of two units leaves; the store's stock row last (as the
    platform does: every till selling the product queues on it until commit)."""
    now = datetime.now(UTC)
    cart, line, order, account = _id(), _id(), _id(), _id()
    items = [_id(), _id()]
    instrument = f"{account}.1"
    body = json.dumps({"tenant": tenant, "name": "x", "payload": {"id": order}})
    await connection.execute(
        "INSERT INTO carts (id, tenant, state, associate_id, catalog, locale, channel_id,"
        " channel_type, currency, fulfillment_node_id, created_at, updated_at)"
        " VALUES ($1, $2, 'open', 'a', 'c', 'en_US', $3, 'STORE', 'USD', $4, $5, $5)",
        cart, tenant, STORE, NODE, now,
    )  # fmt: skip
    await connection.execute(
        "INSERT INTO cart_items (id, tenant, cart_id, position, product_id, product_name,"
        " quantity, fulfillment, price_source, pricebook, unit_price, extended_attributes,"
        " created_at, updated_at) VALUES ($1, $2, $3, 0, $4, 'Tee', 2, 'IN_STORE_HANDOVER',"
        " 'INTERNAL', 'default', 1999, '[]', $5, $5)",
        line, tenant, cart, PRODUCT, now,
    )  # fmt: skip
    await connection.execute(
        "INSERT INTO payment_accounts (id, tenant, order_id, currency, status, authorized,"
        " captured, refunded, revoked, created_at, updated_at)"
        " VALUES ($1, $2, $1, 'USD', 'captured', 3998, 3998, 0, 0, $3, $3)",
        order, tenant, now,
    )  # fmt: skip
    await connection.execute(
        "INSERT INTO payment_instruments (id, tenant, account_id, position, payment_method,"
        " payment_provider, currency, authorized, captured, refunded, revoked, pending_release,"
        " pending_refund, created_at, updated_at)"
        " VALUES ($1, $2, $3, 0, 'cash', 'cash', 'USD', 3998, 3998, 0, 0, 0, 0, $4, $4)",
        instrument, tenant, order, now,
    )  # fmt: skip
    await connection.executemany(
        "INSERT INTO payment_transactions (id, tenant, account_id, instrument_id,"
        " provider_transaction_id, reason, capture_amount, refund_amount, currency,"
        " correlation_id, created_at) VALUES ($1, $2, $3, $4, $1, $5, $6, $7, 'USD', $4, $8)",
        [
            (_id(), tenant, order, instrument, reason, capture, refund, now)
            for reason, capture, refund in (
                ("authorization", 3998, 0),
                ("capture", -3998, 0),
                ("capture", 0, 3998),
            )
        ],
    )
    await connection.execute(
        "INSERT INTO orders (id, tenant, external_id, source, origin, channel_type, channel_name,"
        " fulfillment_type, status, payment_status, currency, price_method, subtotal,"
        " discount_total, tax_total, shipping_total, shipping_tax, grand_total, store_id,"
        " extended_attributes, notification_blacklist, is_historical, is_exchange,"
        " is_preconfirmed, is_offline, placed_at, created_at, updated_at, completed_at)"
        " VALUES ($1, $2, $3, 'checkout', 'newstore', 'store', $4, 'in_store_purchase', 'closed',"
        " 'captured', 'USD', 'tax_included', 3998, 0, 0, 0, 0, 3998, $4, '[]', '[]', false,"
        " false, false, false, $5, $5, $5, $5)",
        order, tenant, f"R-{number:06d}", STORE, now,
    )  # fmt: skip
    await connection.executemany(
        "INSERT INTO order_items (id, tenant, order_id, position, product_id, product_name,"
        " shipping_service_level, fulfilled_by, fulfillment_location_id, shipment_index, status,"
        " list_price, price, tax, discount, order_discount, pricebook, tax_lines,"
        " extended_attributes, details, completed_at) VALUES ($1, $2, $3, $4, $5, 'Tee',"
        " 'IN_STORE_HANDOVER', 'customer', $6, 0, 'complete', 1999, 1999, 0, 0, 0, 'default',"
        " '[]', '[]', '{}', $7)",
        [(item, tenant, order, i, PRODUCT, NODE, now) for i, item in enumerate(items)],
    )
    events = [
        ("payment_account", order, "payment_account.amount_authorized"),
        ("order", order, "order.created"),
        ("order", order, "order.completed"),
        ("payment_account", order, "payment_account.amount_captured"),
    ]
    rows = []
    for entity_type, entity_id, name in events:
        tick = await connection.fetchval(
            "INSERT INTO event_entity_clocks (tenant, entity_type, entity_id, value)"
            " VALUES ($1, $2, $3, 1) ON CONFLICT (tenant, entity_type, entity_id)"
            " DO UPDATE SET value = event_entity_clocks.value + 1 RETURNING value",
            tenant, entity_type, entity_id,
        )  # fmt: skip
        rows.append((_id(), tenant, name, entity_type, entity_id, tick, body, now))
    await connection.executemany(
        "INSERT INTO event_records (id, tenant, name, version, entity_type, entity_id,"
        " logical_timestamp, body, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8)",
        rows,
    )
    await connection.executemany(
        "INSERT INTO event_outbox (event_id, tenant, name, body, created_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        [(row[0], tenant, row[2], body, now) for row in rows],
    )
    await connection.execute(
        "INSERT INTO checkout_attempts (id, tenant, idempotency_key, cart_id, request_hash,"
        " state, order_id, order_number, lease_until, response_status, response, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, 'h', 'succeeded', $5, $6, $7, 201, '{}', $7, $7)",
        _id(), tenant, f"raw-{n}-{cart}", cart, order, f"R-{number:06d}", now,
    )  # fmt: skip
    await connection.execute(
        "UPDATE carts SET state = 'checked_out', order_id = $2, updated_at = $3 WHERE id = $1",
        cart, order, now,
    )  # fmt: skip
    await connection.execute(
        "UPDATE stock_levels SET on_hand = GREATEST(on_hand - 2, 0)"
        " WHERE tenant = $1 AND fulfillment_node_id = $2 AND product_id = $3",
        tenant, NODE, PRODUCT,
    )  # fmt: skip


# ----------------------------------------------------------------------------- report


def report(variants: dict[str, dict[str, Any]], floor: dict[str, Any]) -> None:
    floor_rate = len(floor["sales"]) / floor["elapsed"]
    print(
        f"{ASSOCIATES} associates, PostgreSQL; a sale = cart and line, cash checkout handed over "
        f"at the till. Three calls and the floor: {SECONDS:.0f} s each, in {ROUNDS} alternating "
        f"rounds; the other two: {SECONDS / 2:.0f} s"
    )
    for name, run in variants.items():
        rate = len(run["sales"]) / run["elapsed"]
        p99 = ms(run["sales"], 99)
        print(
            f"platform, {name}: {rate:7.1f} orders/s  sale p50 {ms(run['sales'], 50):6.1f}  "
            f"p99 {p99:6.1f} ms  failures {len(run['failures'])}  "
            f"= {rate / floor_rate:.0%} of the floor; targets: {rate / TARGET_RATE:.0%} of "
            f"{TARGET_RATE:.0f}/s, p99 {p99 / TARGET_P99_MS:.0%} of {TARGET_P99_MS:.0f} ms"
        )
        for call, values in run["calls"].items():
            if values:
                print(f"    {call:<9} p50 {ms(values, 50):6.1f}  p99 {ms(values, 99):6.1f} ms")
        print(f"    {run['cpu'].per(len(run['sales']), 'a sale')}")
        if run["failures"]:
            print("    first failure:", run["failures"][0][:300])
    print(
        f"floor (the same rows, raw asyncpg, one transaction an order): {floor_rate:7.1f} "
        f"orders/s  p50 {ms(floor['sales'], 50):6.1f}  p99 {ms(floor['sales'], 99):6.1f} ms"
    )
    print(f"    {floor['cpu'].per_floor(len(floor['sales']), 'a sale')}")


def ms(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    if pct == 50:
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


if __name__ == "__main__":
    main()
