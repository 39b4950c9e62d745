"""``cashwrap sandbox``: run a stand-in for a system around the platform, over HTTP.

Each sandbox is its own process with its own database (a SQLite file under ``--state-dir`` unless
``--database-url`` says otherwise) and answers only callers presenting its API key
(``Authorization: Bearer <key>``). Its admin API (``/_sandbox``) dials faults and lists the calls
it received; see ``docs/sandboxes.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import typer
import uvicorn
from starlette.types import ASGIApp

from cashwrap.cli.common import ensure_sqlite_folder
from cashwrap.core import logs
from cashwrap.sandbox.carrier.app import create_app as create_carrier
from cashwrap.sandbox.common.app import DEFAULT_API_KEY
from cashwrap.sandbox.oms.app import create_app as create_oms
from cashwrap.sandbox.psp.app import create_app as create_psp

app = typer.Typer(
    help="Sandboxes of the systems around the platform (external OMS, payment provider, carrier).",
    no_args_is_help=True,
)

HostOption = typer.Option("127.0.0.1", help="Interface to listen on.")
DatabaseUrlOption = typer.Option(
    None, "--database-url", help="The sandbox's own database (default: a SQLite file)."
)
ApiKeyOption = typer.Option(
    DEFAULT_API_KEY,
    "--api-key",
    envvar="CASHWRAP_SANDBOX_API_KEY",
    help="The key callers must present as 'Authorization: Bearer <key>'.",
)
StateDirOption = typer.Option(Path("var/sandbox"), help="Where the SQLite databases live.")
LogLevelOption = typer.Option("WARNING", help="Log level.")


@app.command()
def psp(
    host: str = HostOption,
    port: int = typer.Option(8021, help="Port to listen on."),
    database_url: str | None = DatabaseUrlOption,
    api_key: str = ApiKeyOption,
    state_dir: Path = StateDirOption,
    log_level: str = LogLevelOption,
) -> None:
    """The payment provider: financial instruments, capture, refund, revoke."""
    serve_sandbox("psp", create_psp, host, port, database_url, api_key, state_dir, log_level)


@app.command()
def carrier(
    host: str = HostOption,
    port: int = typer.Option(8022, help="Port to listen on."),
    database_url: str | None = DatabaseUrlOption,
    api_key: str = ApiKeyOption,
    state_dir: Path = StateDirOption,
    log_level: str = LogLevelOption,
) -> None:
    """The shipping provider: shipping offers, book, cancel, tracking."""
    serve_sandbox(
        "carrier", create_carrier, host, port, database_url, api_key, state_dir, log_level
    )


@app.command()
def oms(
    host: str = HostOption,
    port: int = typer.Option(8023, help="Port to listen on."),
    database_url: str | None = DatabaseUrlOption,
    api_key: str = ApiKeyOption,
    state_dir: Path = StateDirOption,
    log_level: str = LogLevelOption,
) -> None:
    """The external OMS: ATP, purchase history, order details, the event-stream callback;
    routes endless-aisle orders to its DC or back to a platform store (order injection)."""
    serve_sandbox("oms", create_oms, host, port, database_url, api_key, state_dir, log_level)


def serve_sandbox(
    name: str,
    factory: Callable[..., ASGIApp],
    host: str,
    port: int,
    database_url: str | None,
    api_key: str,
    state_dir: Path,
    log_level: str,
) -> None:
    """Serve one sandbox app with uvicorn; print where it listens and its key first."""
    if not api_key:
        raise typer.BadParameter("the API key must not be empty", param_hint="--api-key")
    url = database_url or f"sqlite+aiosqlite:///{state_dir / f'{name}.db'}"
    ensure_sqlite_folder(url)
    logs.configure(log_level, as_json=True)
    typer.echo(
        json.dumps(
            {
                "sandbox": name,
                "url": f"http://{host}:{port}",
                "admin": f"http://{host}:{port}/_sandbox",
                "api_key": api_key,
                "database_url": url,
            }
        )
    )
    uvicorn.run(
        factory(database_url=url, api_key=api_key),
        host=host,
        port=port,
        http="httptools",
        log_config=None,
        access_log=False,
    )


oms_admin = typer.Typer(
    help="Drive a running sandbox OMS: stock, faults, settings, and what it received.",
    no_args_is_help=True,
)
app.add_typer(oms_admin, name="oms-admin")

OmsUrlOption = typer.Option(
    "http://127.0.0.1:8023", "--url", envvar="CASHWRAP_OMS_URL", help="The sandbox OMS."
)


def _oms_call(url: str, api_key: str, method: str, path: str, **kwargs: Any) -> Any:
    with httpx.Client(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {api_key}"}, timeout=30.0
    ) as client:
        response = client.request(method, f"/_sandbox{path}", **kwargs)
    if response.status_code >= 400:
        typer.secho(f"{response.status_code}: {response.text}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    if response.content:
        typer.echo(json.dumps(response.json(), indent=2))
    return response.json() if response.content else None


@oms_admin.command("stock")
def oms_stock(
    product_id: str | None = typer.Option(None, "--product", help="Only this product."),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """The OMS's stock (what its ATP answers)."""
    _oms_call(
        url, api_key, "GET", "/stock", params={"product_id": product_id} if product_id else {}
    )


@oms_admin.command("set-stock")
def oms_set_stock(
    location: str = typer.Argument(..., help="Fulfillment location (fulfillment_node_id)."),
    product_id: str = typer.Argument(...),
    atp: int = typer.Argument(..., min=0, help="Units the OMS promises there."),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """Set the units of one product at one location (absolute)."""
    entry = {"fulfillment_location": location, "product_id": product_id, "atp": atp}
    _oms_call(url, api_key, "PUT", "/stock", json={"stock": [entry]})


@oms_admin.command("fault")
def oms_fault(
    operation: str = typer.Argument(
        ..., help="availability, purchase_history, order_details, events, or * for all."
    ),
    kind: str = typer.Option(..., help="latency, error, timeout, malformed or decline."),
    delay_ms: int | None = typer.Option(None, help="latency / timeout: milliseconds."),
    status: int | None = typer.Option(None, help="error / malformed: the HTTP status."),
    times: int | None = typer.Option(None, help="The next N calls only (default: until cleared)."),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """Dial a fault on an operation (see docs/sandboxes.md for every field)."""
    fault = {"kind": kind, "delay_ms": delay_ms, "status": status, "times": times}
    body = {key: value for key, value in fault.items() if value is not None}
    _oms_call(url, api_key, "PUT", f"/faults/{operation}", json=body)


@oms_admin.command("clear-faults")
def oms_clear_faults(url: str = OmsUrlOption, api_key: str = ApiKeyOption) -> None:
    """Clear every fault."""
    _oms_call(url, api_key, "DELETE", "/faults")
    typer.echo("faults cleared")


@oms_admin.command("settings")
def oms_settings(
    values: list[str] = typer.Argument(
        None, help="NAME=JSON pairs to change, e.g. event_reorder_window=3 routing='\"store\"'."
    ),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """Show the settings, or change some (values are JSON)."""
    if not values:
        _oms_call(url, api_key, "GET", "/settings")
        return
    changes: dict[str, Any] = {}
    for pair in values:
        name, separator, raw = pair.partition("=")
        if not separator:
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE")
        try:
            changes[name] = json.loads(raw)
        except ValueError:
            changes[name] = raw
    _oms_call(url, api_key, "PUT", "/settings", json=changes)


@oms_admin.command("events")
def oms_events(
    name: str | None = typer.Option(None, help="Only this event name."),
    after: int = typer.Option(0, help="Only events after this sequence."),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """The event deliveries the OMS received, with what became of each."""
    params: dict[str, Any] = {"after": after}
    if name:
        params["name"] = name
    _oms_call(url, api_key, "GET", "/events", params=params)


@oms_admin.command("orders")
def oms_orders(
    email: str | None = typer.Option(None, help="Only this customer's orders."),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """The orders the OMS knows, with their routing and payment state."""
    _oms_call(url, api_key, "GET", "/orders", params={"customer_email": email} if email else {})


@oms_admin.command("injections")
def oms_injections(
    status: str | None = typer.Option(None, help="pending, injected, cancelled, failed…"),
    url: str = OmsUrlOption,
    api_key: str = ApiKeyOption,
) -> None:
    """The store fulfillments the OMS injected (and its DC shipments)."""
    _oms_call(url, api_key, "GET", "/injections", params={"status": status} if status else {})
