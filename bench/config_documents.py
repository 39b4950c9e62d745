"""Configuration reads and versioned writes, beside the floors of DESIGN.md.

Other areas read configuration inside their own transaction (checkout reads the effective
fulfillment configuration, ATP reads the webhook), so reads are timed inside one open session:
one primary-key read plus, for the fulfillment configuration, building the effective
configuration (here 10 routes x 3 service levels x 5 nodes). Floor: the raw driver rate of a
whole order transaction (aiosqlite ≈ 2,000 tx/s, asyncpg ≈ 1,600 tx/s): a configuration read
should not cost more than that. Writes are admin traffic through the ORM session with a row
lock, validated whole: floor = the ORM rate of one order's rows (SQLite ≈ 170 tx/s,
PostgreSQL ≈ 220 tx/s).

One connection, in process, on SQLite (and PostgreSQL when 127.0.0.1:5432 answers).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from cashwrap import migrate
from cashwrap.config import service
from cashwrap.config.schemas import FulfillmentConfigDocument
from cashwrap.config.service import fulfillment
from cashwrap.core.uow import Database
from cashwrap.tenants import service as tenants

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SEED = {
    "fulfillment_config": {
        "provider_rates": {
            f"R{i}": {
                "return_provider_rate": "",
                "service_level": f"L{i}",
                "shipping_carrier_name": "USPS",
                "shipping_type": "traditional_carrier",
                "use_as_customer_facing_cost": False,
            }
            for i in range(3)
        },
        "routes": [
            {
                "destination_region": {"countries": [country], "zip_codes": ["*"]},
                "fulfilled_by": {
                    f"L{i}": [
                        {"fulfillment_node_id": f"N{n}", "provider_rate": f"R{i}"} for n in range(5)
                    ]
                    for i in range(3)
                },
            }
            for country in ("US", "CA", "MX", "DE", "FR", "GB", "IT", "ES", "NL", "BE")
        ],
        "service_levels": {
            f"L{i}": {"currency_code": "USD", "display_name": f"Level {i}", "price": 4.99}
            for i in range(3)
        },
        "sl_levels_priority": ["L0", "L1", "L2"],
    }
}
READ_FLOOR = {"sqlite": 2000.0, "postgresql": 1600.0}
ORM_FLOOR = {"sqlite": 170.0, "postgresql": 220.0}


async def rate(work: Callable[[], Awaitable[Any]], seconds: float = 2.0) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        await work()
        done += 1
    return done / (time.perf_counter() - started)


async def measure(url: str, kind: str) -> None:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            tenant = (await tenants.create_tenant(session, f"bench-{uuid.uuid4().hex[:8]}")).tenant
        body = FulfillmentConfigDocument.model_validate(SEED)

        async def write() -> None:
            async with database.transaction() as session:
                await fulfillment.put_legacy(session, tenant, body, updated_by="bench")

        await write()

        async with database.sessions() as session:

            async def read_config() -> None:
                config = await service.fulfillment_config(session, tenant)
                assert config is not None
                assert config.nodes_for("L1", "FR", "75001")

            async def read_switch() -> None:
                await service.routing_switch(session, tenant, "uses_external_atp")

            reads = [
                ("read effective fulfillment configuration", read_config),
                ("read a routing switch", read_switch),
            ]
            for label, work in reads:
                report(kind, label, await rate(work), READ_FLOOR[kind])
        report(
            kind, "versioned write of the whole configuration", await rate(write), ORM_FLOOR[kind]
        )
    finally:
        await database.dispose()


def report(kind: str, label: str, figure: float, floor: float) -> None:
    print(
        f"{kind:<10} {label:<44} {figure:7.0f}/s  floor {floor:5.0f}/s  ratio {figure / floor:4.2f}"
    )


def postgres_up() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(POSTGRES, timeout=2)
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cashwrap-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'config.db'}"
        migrate.upgrade(url)
        asyncio.run(measure(url, "sqlite"))
    if postgres_up():
        name = f"cashwrap_bench_{uuid.uuid4().hex[:8]}"

        async def admin(statement: str) -> None:
            connection = await asyncpg.connect(POSTGRES)
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            migrate.upgrade(url)
            asyncio.run(measure(url, "postgresql"))
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
