"""``cashwrap demo``: the platform and the systems around it, on a laptop, ready to try.

One command: the platform (SQLite), the sandbox OMS, payment provider and carrier run as child
processes; a ``demo`` tenant is configured **through the platform's APIs** with every
pre-requisite of the seed (``cashwrap.cli.demo_setup``), a demo catalog and stock are imported,
and the doctor reports every check green. The URLs, the credentials (also written to
``<state-dir>/credentials.json``, which ``cashwrap validate`` reads) and what to try are printed.
Ctrl-C (or SIGTERM) stops every child and waits for it; a child that dies stops the demo.
Running it again keeps the data and the credentials.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.cli import demo_setup
from cashwrap.cli.common import prepare, run_in_transaction, settings
from cashwrap.core.errors import Unauthorized
from cashwrap.tenants import service as tenants

DEMO_TENANT = "demo"
CHILD_COMMAND = [sys.executable, "-c", "from cashwrap.cli.main import app; app()"]
STOP_GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    url: str
    health: str
    process: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface every process listens on."),
    port: int = typer.Option(8000, help="Port of the platform."),
    oms_port: int = typer.Option(8001, help="Port of the sandbox OMS."),
    psp_port: int = typer.Option(8002, help="Port of the sandbox payment provider."),
    carrier_port: int = typer.Option(8003, help="Port of the sandbox carrier."),
    state_dir: Path = typer.Option(Path("var/demo"), help="Databases, logs and credentials."),
    startup_timeout: float = typer.Option(60.0, help="Seconds to wait for the processes."),
) -> None:
    """Run the platform with a sandbox OMS, payment provider and carrier, fully configured."""
    console = Console()
    ports = {"platform": port, "oms": oms_port, "psp": psp_port, "carrier": carrier_port}
    taken = [f"{name} ({number})" for name, number in ports.items() if not _free(host, number)]
    if taken:
        typer.secho(
            f"port(s) in use: {', '.join(taken)} — stop what uses them or choose others "
            "(--port, --oms-port, --psp-port, --carrier-port)",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(2)
    state_dir = state_dir.resolve()
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    previous = _previous(state_dir / "credentials.json")
    database_url = f"sqlite+aiosqlite:///{state_dir / 'platform.db'}"
    current = settings(database_url).model_copy(update={"log_level": "WARNING"})
    with console.status("migrating the platform's database…"):
        prepare(current)
    credentials = _client(current, previous)
    sandbox_key = str(previous.get("oms", {}).get("api_key") or f"demo-{secrets.token_hex(16)}")

    children: list[Child] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with console.status("starting the platform and the sandboxes…"):
            children = _start(host, ports, state_dir, database_url, sandbox_key)
            _wait_healthy(children, startup_timeout)
        urls = {child.name: child.url for child in children}
        with console.status("configuring the demo tenant through the platform's APIs…"):
            summary = demo_setup.configure(
                demo_setup.DemoTargets(
                    platform=urls["platform"],
                    tenant=credentials.tenant,
                    client_id=credentials.client_id,
                    client_secret=credentials.client_secret,
                    oms=urls["oms"],
                    psp=urls["psp"],
                    carrier=urls["carrier"],
                    sandbox_key=sandbox_key,
                    state_dir=state_dir,
                ),
                progress=lambda text: console.log(text),
            )
        (state_dir / "credentials.json").write_text(json.dumps(summary, indent=2) + "\n")
        _print_summary(console, summary, state_dir, children)
        _watch(children, console)
    except KeyboardInterrupt:
        console.print("\nstopping…")
    except demo_setup.SetupError as error:
        console.print(f"[bold red]the demo could not be set up:[/] {error}")
        _stop(children)
        raise typer.Exit(1) from None
    finally:
        _stop(children)
    console.print("stopped.")


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _previous(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _client(current: Any, previous: dict[str, Any]) -> tenants.ClientCredentials:
    """The demo tenant's API client: the one of the last run while it still works, else new."""
    platform = previous.get("platform") or {}

    async def ensure(session: AsyncSession) -> tenants.ClientCredentials:
        if not await tenants.tenant_exists(session, DEMO_TENANT):
            return await tenants.create_tenant(session, DEMO_TENANT)
        client_id, secret = platform.get("client_id"), platform.get("client_secret")
        if platform.get("tenant") == DEMO_TENANT and client_id and secret:
            with contextlib.suppress(Unauthorized):
                await tenants.authenticate_client(session, DEMO_TENANT, client_id, secret)
                return tenants.ClientCredentials(DEMO_TENANT, client_id, secret)
        return await tenants.create_client(session, DEMO_TENANT)

    return run_in_transaction(current, ensure)


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the demo process dies (Linux), so that
    even a demo killed with SIGKILL leaves no orphan behind."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(
    host: str, ports: dict[str, int], state_dir: Path, database_url: str, sandbox_key: str
) -> list[Child]:
    commands = {
        "platform": [
            *("serve", "--host", host, "--port", str(ports["platform"])),
            *("--database-url", database_url),
        ],
        **{
            name: [
                *("sandbox", name, "--host", host, "--port", str(ports[name])),
                *("--api-key", sandbox_key, "--state-dir", str(state_dir)),
                *("--log-level", "WARNING"),
            ]
            for name in ("oms", "psp", "carrier")
        },
    }
    health = {"platform": "/health/ready", "oms": "/health", "psp": "/health", "carrier": "/health"}
    environment = dict(
        os.environ,
        CASHWRAP_LOG_LEVEL="WARNING",
        CASHWRAP_DATABASE_URL=database_url,
        # The demo imports its catalog from its state folder, and `cashwrap import FILE` runs
        # on the same host.
        CASHWRAP_IMPORT_ALLOW_LOCAL_FILES="true",
    )
    children = []
    for name, arguments in commands.items():
        log = state_dir / "logs" / f"{name}.log"
        log_file = log.open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*CHILD_COMMAND, *arguments],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # Ctrl-C reaches the demo, which stops the children in turn
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        children.append(
            Child(name, f"http://{host}:{ports[name]}", health[name], process, log, log_file)
        )
    return children


def _wait_healthy(children: list[Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(children)
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for child in list(pending):
                if child.process.poll() is not None:
                    raise demo_setup.SetupError(
                        f"{child.name} exited with {child.process.returncode}; see {child.log}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(child.url + child.health).status_code == 200:
                        pending.remove(child)
            if pending and time.monotonic() > deadline:
                names = ", ".join(child.name for child in pending)
                raise demo_setup.SetupError(f"not ready after {timeout:.0f} s: {names}")
            time.sleep(0.1)


def _watch(children: list[Child], console: Console) -> None:
    """Until Ctrl-C, or until a child exits on its own (then the demo stops)."""
    while True:
        for child in children:
            if child.process.poll() is not None:
                console.print(
                    f"[bold red]{child.name} exited ({child.process.returncode}); "
                    f"see {child.log}. Stopping the demo.[/]"
                )
                return
        time.sleep(0.5)


def _stop(children: list[Child]) -> None:
    """SIGTERM every child (uvicorn finishes its requests), then SIGKILL what is still alive."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
        child.log_file.close()
    children.clear()


def _lines(summary: dict[str, Any], children: list[Child]) -> Iterator[str]:
    platform, oms = summary["platform"], summary["oms"]
    auth = f"-u {platform['client_id']}:{platform['client_secret']}"
    yield "[bold]Processes[/]"
    for child in children:
        yield f"  {child.name:9} {child.url:28} log: {child.log}"
    yield ""
    yield "[bold]Credentials[/] (also in credentials.json; `cashwrap validate` reads them)"
    yield f"  tenant         {platform['tenant']}"
    yield f"  client_id      {platform['client_id']}"
    yield f"  client_secret  {platform['client_secret']}"
    yield f"  token URL      {platform['token_url']}"
    yield f"  sandbox key    {oms['api_key']}   (OMS, PSP and carrier, and their /_sandbox APIs)"
    yield ""
    yield "[bold]Try[/]"
    yield "  cashwrap validate                    # the seed's validation procedures, step by step"
    yield f"  open {platform['url']}/docs          # the platform's API"
    yield (
        f"  TOKEN=$(curl -s -X POST {platform['token_url']} -d grant_type=client_credentials "
        f"{auth} | jq -r .access_token)"
    )
    yield f'  curl -s {platform["url"]}/v0/integration/doctor -H "Authorization: Bearer $TOKEN"'
    yield (
        f'  curl -s -X POST {platform["url"]}/v0/availability -H "Authorization: Bearer $TOKEN" '
        '-H \'Content-Type: application/json\' -d \'{"products": [{"product_id": "1000061"}]}\''
    )
    key = f"-H 'Authorization: Bearer {oms['api_key']}'"
    yield f"  curl -s {oms['url']}/_sandbox/events {key}        # what the OMS received"
    yield (
        f"  curl -s -X PUT {oms['url']}/_sandbox/faults/availability {key} "
        '-H \'Content-Type: application/json\' -d \'{"kind": "timeout", "delay_ms": 8000}\''
        "   # a slow OMS: ATP answers 'unavailable'"
    )
    yield ""
    yield "Ctrl-C stops everything."


def _print_summary(
    console: Console, summary: dict[str, Any], state_dir: Path, children: list[Child]
) -> None:
    doctor = summary.get("doctor", {})
    console.print(
        f"\n[bold green]cashwrap demo is ready[/] — doctor: {doctor.get('status')} "
        f"({doctor.get('summary')}); state in {state_dir}\n"
    )
    for line in _lines(summary, children):
        console.print(line, highlight=False, soft_wrap=True)
