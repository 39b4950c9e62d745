"""A job whose process dies is resumed by another process, from its checkpoint, exactly once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile

import httpx
import pytest

from cashwrap.app import create_app
from tests.catalog.zips import wait_for_job
from tests.conftest import platform_settings
from tests.support.servers import ServerThread

LINES = 120_000
BAD_LINES = {7, 60_001, LINES - 3}


def _big_catalog(path) -> None:
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("products.jsonl", "w") as member,
    ):
        for line in range(1, LINES + 1):
            record = (
                {"product_id": f"p{line}"}
                if line in BAD_LINES
                else {
                    "product_id": f"p{line}",
                    "title": f"Product {line}",
                    "prices": [{"currency": "USD", "value": line % 500 + 0.99}],
                }
            )
            member.write((json.dumps(record) + "\n").encode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_a_job_of_a_killed_process_is_resumed_elsewhere_without_double_counting(
    platform, tenant, tmp_path
):
    source = tmp_path / "big.zip"
    _big_catalog(source)
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_DATABASE_URL=platform.settings.database_url,
        CASHWRAP_RUN_MIGRATIONS_ON_START="false",
        CASHWRAP_DISPATCHER_ENABLED="false",
        CASHWRAP_IMPORT_BATCH_SIZE="500",
        CASHWRAP_IMPORT_ALLOW_LOCAL_FILES="true",
        CASHWRAP_LOG_LEVEL="WARNING",
    )
    doomed = subprocess.Popen(
        [sys.executable, "-m", "cashwrap", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        doomed_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{doomed_url}/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the platform process did not start"
            time.sleep(0.2)
        with platform.client(tenant) as client:
            token = client.headers["Authorization"]
        with httpx.Client(base_url=doomed_url, headers={"Authorization": token}) as doomed_api:
            job = doomed_api.post(
                "/v0/d/import",
                json={"provider": "t", "source_uri": source.as_uri(), "entities": ["products"]},
            ).json()
            doomed_api.post(f"/v0/d/import/{job['id']}/start").raise_for_status()
            while (
                doomed_api.get(f"/v0/d/import/{job['id']}").json()["counts"]["processed"] < 20_000
            ):
                time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    finally:
        if doomed.poll() is None:
            doomed.kill()

    with platform.client(tenant) as api:
        interrupted = api.get(f"/v0/d/import/{job['id']}").json()
        assert interrupted["status"] == "processing"
        assert 0 < interrupted["counts"]["processed"] < LINES

        rescuer = ServerThread(
            create_app(
                platform_settings(
                    platform.settings.database_url,
                    import_heartbeat_seconds=0.2,
                    import_stale_after_seconds=1.0,
                    dispatcher_enabled=False,
                )
            ),
            name="rescuer",
        ).start()
        try:
            done = wait_for_job(api, job["id"], timeout=180)
        finally:
            rescuer.stop()

        assert done["status"] == "finished", done
        assert done["counts"]["processed"] == LINES
        assert done["counts"]["imported"] == LINES - len(BAD_LINES)
        assert done["counts"]["failed"] == len(BAD_LINES)
        assert [error["line"] for error in done["errors"]] == sorted(BAD_LINES)
        assert done["progress"]["bytes_done"] == done["progress"]["bytes_total"]
        for line in (1, 30_000, LINES):
            product = api.get(f"/v0/catalog/products/p{line}").json()
            assert product["content"][0]["title"] == f"Product {line}"
