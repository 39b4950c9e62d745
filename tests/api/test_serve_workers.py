"""``cashwrap serve --workers N``: several processes behind one port, one platform."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _worker_processes(parent: int) -> list[int]:
    """Children of ``parent`` started by multiprocessing's spawn (uvicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry))
    return found


def test_two_workers_share_the_database_and_accept_each_others_tokens(platform, tenant):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(CASHWRAP_LOG_LEVEL="WARNING", CASHWRAP_DISPATCHER_ENABLED="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "cashwrap", "serve", "--port", str(port), "--workers", "2",
         "--database-url", platform.settings.database_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        # Every request on a fresh connection, so both workers answer some: a token issued by
        # one is accepted by the other (the signing key lives in the database).
        token = httpx.post(
            f"{base}/auth/realms/{tenant.tenant}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
            },
        ).json()["access_token"]
        answers = [
            httpx.get(f"{base}/v0/integration/whoami", headers={"Authorization": f"Bearer {token}"})
            for _ in range(20)
        ]
        assert [answer.status_code for answer in answers] == [200] * 20
        assert {answer.json()["tenant"] for answer in answers} == {tenant.tenant}
        assert len(_worker_processes(server.pid)) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
