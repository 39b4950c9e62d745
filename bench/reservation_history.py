"""A stock check as a location's expired reservations pile up.

An expired reservation item keeps its ``RESERVED`` status; it simply stops holding stock. Every
order injected or sold at a location checks its products' stock — on-hand minus the live holds,
the stock rows locked ``FOR UPDATE`` — in one statement (``locations.repository
.available_units``). This bench times that check (its whole transaction, median of 300) for
3 products at one location holding 5 live items each, as 0, 1,000, 10,000 and 50,000 expired
items per product accumulate beside them: the floor is the same check with no expired item, in
the same run. Then it puts back the index before migration 0011 and measures again, to show
what the index is for.

PostgreSQL on 127.0.0.1:5432 (``CASHWRAP_BENCH_POSTGRES_URL``); a database of its own.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.events_stream import postgres_database
from cashwrap.core.uow import Database
from cashwrap.locations import repository
from cashwrap.tenants import service as tenants

PRODUCTS = ["P1", "P2", "P3"]
LIVE = 5
EXPIRED = (0, 1_000, 10_000, 50_000)
CHECKS = 300
ON_HAND = 1_000_000
INDEX_BEFORE_0011 = (
    "DROP INDEX ix_reservation_items_holds; CREATE INDEX ix_reservation_items_atp "
    "ON reservation_items (tenant, location_id, product_id, status)"
)


def main() -> None:
    with postgres_database() as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        current = asyncio.run(_measure(dsn))
        before = asyncio.run(_measure(dsn, INDEX_BEFORE_0011))
    print(
        f"stock check of {len(PRODUCTS)} products at one location ({LIVE} live items each), "
        f"median of {CHECKS} transactions; floor: the same check with no expired item"
    )
    for label, figures in (("index now", current), ("index before 0011", before)):
        floor = figures[0]
        for expired, median in zip(EXPIRED, figures, strict=True):
            print(
                f"  {label:18} expired items a product {expired:6d}: {median:6.2f} ms   "
                f"floor {floor:5.2f} ms   {median / floor:5.1f}×"
            )


async def _measure(dsn: str, schema_change: str | None = None) -> list[float]:
    """Median milliseconds of a stock check for each count of expired items."""
    connection = await asyncpg.connect(dsn)
    database = Database(dsn.replace("postgresql://", "postgresql+asyncpg://"), pool_size=2)
    try:
        async with database.transaction() as session:
            tenant = (await tenants.create_tenant(session, f"b-{uuid.uuid4().hex[:8]}")).tenant
        now = datetime.now(UTC)
        if schema_change:
            await connection.execute(schema_change)
        await connection.execute(
            "INSERT INTO fulfillment_locations (tenant, fulfillment_node_id, created_at, "
            "updated_at) VALUES ($1, 'US01', $2, $2)",
            tenant,
            now,
        )
        await connection.executemany(
            "INSERT INTO stock_levels (tenant, fulfillment_node_id, product_id, on_hand, "
            "updated_at) VALUES ($1, 'US01', $2, $3, $4)",
            [(tenant, product, ON_HAND, now) for product in PRODUCTS],
        )
        reservation = str(uuid.uuid4())
        await connection.execute(
            "INSERT INTO reservations (id, tenant, location_id, display_id, status, "
            "idempotency_key, request_hash, expires_at, created_at, updated_at) "
            "VALUES ($1, $2, 'US01', 'R1', 'RESERVED', $1, '-', $3, $3, $3)",
            reservation,
            tenant,
            now + timedelta(days=1),
        )
        await _add_items(connection, tenant, reservation, LIVE, now + timedelta(days=1))
        medians = []
        held = 0
        for expired in EXPIRED:
            await _add_items(
                connection, tenant, reservation, expired - held, now - timedelta(days=1)
            )
            held = expired
            await connection.execute("VACUUM ANALYZE reservation_items")
            medians.append(await _checks(database, tenant))
        return medians
    finally:
        await database.dispose()
        await connection.close()


async def _add_items(
    connection: asyncpg.Connection, tenant: str, reservation: str, each: int, expires: datetime
) -> None:
    if each:
        await connection.execute(
            "INSERT INTO reservation_items (id, reservation_id, tenant, location_id, "
            "product_id, status, position, expires_at, updated_at) "
            "SELECT gen_random_uuid()::text, $1, $2, 'US01', 'P' || (1 + n % 3), 'RESERVED', "
            "n, $3, $3 FROM generate_series(1, $4) AS n",
            reservation,
            tenant,
            expires,
            each * len(PRODUCTS),
        )


async def _checks(database: Database, tenant: str) -> float:
    took = []
    for _ in range(CHECKS):
        began = time.perf_counter()
        async with database.transaction() as session:
            found = await repository.available_units(
                session, tenant, "US01", PRODUCTS, datetime.now(UTC)
            )
        took.append((time.perf_counter() - began) * 1000)
        assert found == dict.fromkeys(PRODUCTS, ON_HAND - LIVE), found
    return statistics.median(took)


if __name__ == "__main__":
    main()
