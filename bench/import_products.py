"""Product import throughput and peak memory, beside the raw insert rate of the same rows.

For each database (SQLite; PostgreSQL when 127.0.0.1:5432 answers) and each file size
(default 100,000 and 1,000,000 product lines, each with one price), in one run:

* **import** — ``cashwrap serve`` (its own process, fresh database) runs the job driven through
  the Import Data API; products/s from the job's ``started_at`` to ``finished_at``, and the
  growth of the serving process's peak RSS (VmHWM) during the import;
* **raw insert** — the same rows (one product + one price per line, the same upsert statements,
  the same batch size), prepared in memory beforehand and only the database work timed, into a
  fresh database.

Target: import ≥ 50 % of the raw insert rate; peak memory flat in the file size.
``CASHWRAP_BENCH_IMPORT_SIZES=100000,1000000``, ``CASHWRAP_BENCH_DATABASES=sqlite,postgresql``,
``CASHWRAP_BENCH_POSTGRES_URL`` and ``CASHWRAP_IMPORT_BATCH_SIZE`` (both sides use it) adjust it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from cashwrap import migrate
from cashwrap.catalog import repository
from cashwrap.core.uow import Database
from cashwrap.tenants import service as tenants

SIZES = [
    int(size) for size in os.environ.get("CASHWRAP_BENCH_IMPORT_SIZES", "100000,1000000").split(",")
]
POSTGRES = os.environ.get(
    "CASHWRAP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BATCH = int(os.environ.get("CASHWRAP_IMPORT_BATCH_SIZE", "2000"))
TARGET = 0.5


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cashwrap-bench-") as folder:
        files = {size: make_zip(Path(folder), size) for size in SIZES}
        wanted = os.environ.get("CASHWRAP_BENCH_DATABASES", "sqlite,postgresql").split(",")
        kinds = [k for k in ("sqlite", "postgresql") if k in wanted]
        if "postgresql" in kinds and not postgres_up():
            kinds.remove("postgresql")
        rows: list[dict[str, Any]] = []
        for kind in kinds:
            for size, path in files.items():
                with fresh_database(kind, Path(folder), f"import{size}") as url:
                    imported = measure_import(url, path, size)
                with fresh_database(kind, Path(folder), f"raw{size}") as url:
                    raw = asyncio.run(measure_raw(url, size))
                rows.append({"database": kind, "lines": size, **imported, "raw": raw})
        report(rows)


def report(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'database':<11}{'lines':>10}{'import/s':>11}{'raw/s':>11}{'ratio':>8}{'target':>8}"
        f"{'RSS base MB':>13}{'peak MB':>9}{'growth MB':>11}"
    )
    for row in rows:
        ratio = row["rate"] / row["raw"]
        print(
            f"{row['database']:<11}{row['lines']:>10,}{row['rate']:>11,.0f}{row['raw']:>11,.0f}"
            f"{ratio:>8.0%}{'≥ 50%':>8}{row['base_mb']:>13.0f}{row['peak_mb']:>9.0f}"
            f"{row['peak_mb'] - row['base_mb']:>11.0f}"
        )
    print("import/s and raw/s are product lines per second (each line: 1 product + 1 price row)")


# --- the file ------------------------------------------------------------------------------


def product_line(number: int) -> dict[str, Any]:
    return {
        "product_id": f"sku-{number:08d}",
        "title": f"Product number {number}",
        "brand": "Dodici",
        "prices": [{"pricebook": "default", "currency": "USD", "value": f"{number % 997}.99"}],
    }


def make_zip(folder: Path, size: int) -> Path:
    path = folder / f"products-{size}.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("products.jsonl", "w") as member,
    ):
        chunk: list[bytes] = []
        for number in range(size):
            chunk.append(orjson.dumps(product_line(number)) + b"\n")
            if len(chunk) == 10_000:
                member.write(b"".join(chunk))
                chunk.clear()
        member.write(b"".join(chunk))
    return path


# --- the import, through the API of a serving process ---------------------------------------


def measure_import(url: str, path: Path, size: int) -> dict[str, float]:
    tenant = create_tenant(url)
    with (
        platform_process(url) as (base, pid),
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        token = client.post(
            f"/auth/realms/{tenant['tenant']}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant["client_id"],
                "client_secret": tenant["client_secret"],
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        warm = path.parent / "warm.zip"
        with zipfile.ZipFile(warm, "w") as archive:
            archive.writestr("products.jsonl", json.dumps(product_line(-1)) + "\n")
        run_job(client, warm)
        base_mb = peak_rss_mb(pid)
        job = run_job(client, path)
        peak_mb = peak_rss_mb(pid)
    assert job["status"] == "finished", job
    assert job["counts"]["imported"] == size, job
    seconds = (parse(job["finished_at"]) - parse(job["started_at"])).total_seconds()
    return {"rate": size / seconds, "seconds": seconds, "base_mb": base_mb, "peak_mb": peak_mb}


def run_job(client: httpx.Client, path: Path) -> dict[str, Any]:
    created = client.post(
        "/v0/d/import",
        json={"provider": "bench", "source_uri": path.as_uri(), "entities": ["products"]},
    )
    created.raise_for_status()
    job_id = created.json()["id"]
    client.post(f"/v0/d/import/{job_id}/start").raise_for_status()
    while True:
        job: dict[str, Any] = client.get(f"/v0/d/import/{job_id}").json()
        if job["status"] in ("finished", "failed"):
            return job
        time.sleep(0.2)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def create_tenant(url: str) -> dict[str, str]:
    async def work() -> tenants.ClientCredentials:
        database = Database(url, pool_size=1)
        try:
            async with database.transaction() as session:
                return await tenants.create_tenant(session, f"bench-{uuid.uuid4().hex[:8]}")
        finally:
            await database.dispose()

    created = asyncio.run(work())
    return {
        "tenant": created.tenant,
        "client_id": created.client_id,
        "client_secret": created.client_secret,
    }


@contextmanager
def platform_process(url: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_DATABASE_URL=url,
        CASHWRAP_RUN_MIGRATIONS_ON_START="false",
        CASHWRAP_DISPATCHER_ENABLED="false",
        CASHWRAP_LOG_LEVEL="WARNING",
        CASHWRAP_IMPORT_BATCH_SIZE=str(BATCH),
        CASHWRAP_IMPORT_ALLOW_LOCAL_FILES="true",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cashwrap", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/health/live").status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the platform did not start")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the raw insert of the same rows ---------------------------------------------------------


async def measure_raw(url: str, size: int) -> float:
    database = Database(url, pool_size=2)
    try:
        async with database.transaction() as session:
            tenant = (await tenants.create_tenant(session, f"raw-{uuid.uuid4().hex[:8]}")).tenant
        job_id = str(uuid.uuid4())
        moment = datetime.now(UTC)
        spent = 0.0
        for start in range(0, size, BATCH):
            products = []
            prices = []
            for number in range(start, min(start + BATCH, size)):
                line = product_line(number)
                products.append(
                    {
                        "tenant": tenant,
                        "shop": "storefront-catalog-en",
                        "locale": "en-US",
                        "product_id": line["product_id"],
                        "title": line["title"],
                        "brand": line["brand"],
                        "description": None,
                        "import_id": job_id,
                        "updated_at": moment,
                    }
                )
                prices.append(
                    {
                        "tenant": tenant,
                        "pricebook": "default",
                        "currency": "USD",
                        "product_id": line["product_id"],
                        "amount": (number % 997) * 100 + 99,
                        "import_id": job_id,
                        "updated_at": moment,
                    }
                )
            began = time.perf_counter()
            async with database.transaction() as session:
                await repository.upsert_products(session, products)
                await repository.upsert_prices(session, prices)
            spent += time.perf_counter() - began
        return size / spent
    finally:
        await database.dispose()


# --- databases -------------------------------------------------------------------------------


def postgres_up() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(POSTGRES, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


@contextmanager
def fresh_database(kind: str, folder: Path, label: str) -> Iterator[str]:
    if kind == "sqlite":
        path = folder / f"{label}.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"cashwrap_bench_{label}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
