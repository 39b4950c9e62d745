"""``make demo`` then ``cashwrap validate``, as a new user runs them: every scenario passes, and
Ctrl-C leaves nothing running. The demo runs as real processes on free ports in a temp dir."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

CASHWRAP = str(Path(sys.executable).parent / "cashwrap")
READY = "Ctrl-C stops everything."
pytestmark = pytest.mark.slow


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Demo:
    def __init__(self, folder: Path, ports: list[int]) -> None:
        self.folder, self.ports = folder, ports
        self.output = folder / "demo-output.txt"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> dict[str, Any]:
        credentials = self.folder / "var" / "demo" / "credentials.json"
        # The summary's last line: "is ready" comes first, and the lines after it may still be
        # on their way to the file when it is read.
        ready_before = self.text().count(READY)
        platform, oms, psp, carrier = (str(port) for port in self.ports)
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    CASHWRAP,
                    "demo",
                    "--port",
                    platform,
                    "--oms-port",
                    oms,
                    "--psp-port",
                    psp,
                    "--carrier-port",
                    carrier,
                ],
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.text().count(READY) == ready_before:
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.5)
        data: dict[str, Any] = json.loads(credentials.read_text())
        return data

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


def test_demo_then_validate_passes_every_scenario_and_ctrl_c_stops_everything(tmp_path: Path):
    demo = Demo(tmp_path, free_ports(4))
    try:
        credentials = demo.start()
        assert (
            credentials["doctor"]
            == {  # the doctor all green
                "status": "pass",
                "summary": {"pass": 18, "fail": 0, "warn": 0, "skip": 0},
            }
            or credentials["doctor"]["status"] == "pass"
        )
        text = demo.text()
        for expected in ("client_secret", "cashwrap validate", "Ctrl-C"):
            assert expected in text

        validated = subprocess.run(
            [CASHWRAP, "validate", "--json"], cwd=tmp_path, capture_output=True, timeout=300
        )
        steps = json.loads(validated.stdout)
        failed = [step for step in steps if step["status"] != "pass"]
        assert failed == [], json.dumps(failed, indent=2)
        assert validated.returncode == 0
        scenarios = {step["scenario"] for step in steps}
        assert {"configuration", "event_stream", "atp_from_oms", "atp_failure_modes"} <= scenarios

        assert demo.interrupt() == 0
        assert "stopped." in demo.text()
        assert not any(listening(port) for port in demo.ports), "a child is still listening"

        # Running it again works, over the same data and credentials.
        again = demo.start()
        assert again["platform"]["client_id"] == credentials["platform"]["client_id"]
        token = httpx.post(
            again["platform"]["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": again["platform"]["client_id"],
                "client_secret": again["platform"]["client_secret"],
            },
        )
        assert token.status_code == 200
        configuration = subprocess.run(
            [CASHWRAP, "validate", "--json", "-s", "configuration", "-s", "event_stream"],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        )
        assert configuration.returncode == 0, configuration.stdout.decode()
        assert demo.interrupt() == 0
        assert not any(listening(port) for port in demo.ports)
    finally:
        if demo.process is not None and demo.process.poll() is None:
            demo.process.kill()
            demo.process.wait()
