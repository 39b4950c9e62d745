"""What ``POST /v0/availability`` adds over asking the external OMS directly.

In one run, one client alternates two calls carrying the same question (3 products × 3
locations) over keep-alive connections:

* **direct** — POST the webhook request to the OMS's ATP endpoint (its own process);
* **platform** — ``POST /v0/availability`` on ``cashwrap serve`` (its own process, SQLite,
  ``uses_external_atp`` on), which reads its configuration, asks that same endpoint with the
  shared aiohttp client and checks and reshapes the answer.

Overhead = median(platform) − median(direct). Target: ≤ 5 ms at the median. Measured twice:
with the default ``atp_config_cache_seconds`` (1 s: the webhook settings are reused, no database
transaction per question) and with it at 0 (one short transaction per question reads them).
``CASHWRAP_BENCH_ATP_ROUNDS`` sets the number of rounds (default 2000).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from cashwrap import migrate
from cashwrap.core.uow import Database
from cashwrap.tenants import service as tenants

ROUNDS = int(os.environ.get("CASHWRAP_BENCH_ATP_ROUNDS", "2000"))
WARM_UP = 200
TARGET_MS = 5.0
API_KEY = "bench-availability-key-0123456789"
PRODUCTS = ["1000061", "10000211", "10000102"]
LOCATIONS = ["US01", "US02", "DC01"]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cashwrap-bench-atp-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'platform.db'}"
        migrate.upgrade(url)
        tenant = asyncio.run(create_tenant(url))
        with oms_process() as oms_url:
            for cache in ("1", "0"):
                with platform_process(url, cache) as platform_url:
                    direct, platform = measure(platform_url, oms_url, tenant)
                print(f"-- atp_config_cache_seconds={cache}")
                report(direct, platform)


def report(direct: list[float], platform: list[float]) -> None:
    def describe(samples: list[float]) -> str:
        ordered = sorted(samples)
        p90 = ordered[int(len(ordered) * 0.9)]
        p99 = ordered[int(len(ordered) * 0.99)]
        return f"median {statistics.median(samples):6.2f}  p90 {p90:6.2f}  p99 {p99:6.2f} ms"

    overhead = statistics.median(platform) - statistics.median(direct)
    print(f"rounds: {len(direct)} (3 products x 3 locations, sequential, keep-alive)")
    print(f"direct to the OMS endpoint    {describe(direct)}")
    print(f"POST /v0/availability         {describe(platform)}")
    print(
        f"overhead at the median: {overhead:.2f} ms (target ≤ {TARGET_MS:.0f} ms, "
        f"{overhead / TARGET_MS:.0%} of it)"
    )


def measure(
    platform_url: str, oms_url: str, tenant: dict[str, str]
) -> tuple[list[float], list[float]]:
    question = {
        "products": [{"product_id": p, "external_identifier": p} for p in PRODUCTS],
        "fulfillment_locations": LOCATIONS,
    }
    with (
        httpx.Client(base_url=platform_url, timeout=30) as platform,
        httpx.Client(timeout=30, headers={"Authorization": f"Bearer {API_KEY}"}) as oms,
    ):
        token = platform.post(
            f"/auth/realms/{tenant['tenant']}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant["client_id"],
                "client_secret": tenant["client_secret"],
            },
        ).json()["access_token"]
        platform.headers["Authorization"] = f"Bearer {token}"
        platform.put(
            "/v0/config/availability_webhook",
            json={
                "url": oms_url,
                "api_key": API_KEY,
                "external_identifier": "product_id",
                "timeout": 5,
            },
        ).raise_for_status()
        platform.post(
            "/v0/config/routing/uses_external_atp", json={"value": True}
        ).raise_for_status()
        direct: list[float] = []
        through: list[float] = []
        for round_ in range(WARM_UP + ROUNDS):
            began = time.perf_counter()
            answer = oms.post(oms_url, json=question)
            direct_ms = (time.perf_counter() - began) * 1000
            began = time.perf_counter()
            ours = platform.post("/v0/availability", json=question)
            platform_ms = (time.perf_counter() - began) * 1000
            assert answer.status_code == 200
            assert ours.status_code == 200
            entries = ours.json()["availabilities"]
            assert len(entries) == 9
            assert all(entry["reason"] is None for entry in entries), entries
            if round_ >= WARM_UP:
                direct.append(direct_ms)
                through.append(platform_ms)
    return direct, through


async def create_tenant(url: str) -> dict[str, str]:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            created = await tenants.create_tenant(session, f"bench-{uuid.uuid4().hex[:8]}")
    finally:
        await database.dispose()
    return {
        "tenant": created.tenant,
        "client_id": created.client_id,
        "client_secret": created.client_secret,
    }


def serve_oms(port: int) -> None:
    """The OMS side: the test suite's ATP endpoint under uvicorn (httptools, uvloop)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route
    from tests.support.oms_endpoint import OmsEndpoint

    endpoint = OmsEndpoint(api_key=API_KEY)
    for index, product in enumerate(PRODUCTS):
        for location in LOCATIONS:
            endpoint.stock[(location, product)] = index + 1
    # The endpoint records calls for tests; a benchmark must not grow a list forever.
    endpoint.calls = _Forgetful()
    app = Starlette(routes=[Route("/availabilities", endpoint._handle, methods=["POST"])])
    uvicorn.run(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
        log_level="warning", access_log=False,
    )  # fmt: skip


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, _item: object) -> None:
        return None


@contextmanager
def oms_process() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.atp_overhead", "--serve-oms", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/availabilities"
    try:
        wait_until_up(process, f"http://127.0.0.1:{port}/")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def platform_process(url: str, config_cache_seconds: str) -> Iterator[str]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_DATABASE_URL=url,
        CASHWRAP_RUN_MIGRATIONS_ON_START="false",
        CASHWRAP_DISPATCHER_ENABLED="false",
        CASHWRAP_LOG_LEVEL="WARNING",
        CASHWRAP_ATP_CONFIG_CACHE_SECONDS=config_cache_seconds,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cashwrap", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, f"{base}/health/live")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        with suppress(httpx.TransportError):
            httpx.get(url)
            return
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-oms":
        serve_oms(int(sys.argv[2]))
    else:
        main()
