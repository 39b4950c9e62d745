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

import typer
import uvicorn
from starlette.types import ASGIApp

from cashwrap.cli.common import ensure_sqlite_folder
from cashwrap.core import logs
from cashwrap.sandbox.carrier.app import create_app as create_carrier
from cashwrap.sandbox.common.app import DEFAULT_API_KEY
from cashwrap.sandbox.psp.app import create_app as create_psp

app = typer.Typer(
    help="Sandboxes of the systems around the platform (payment provider, carrier).",
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
