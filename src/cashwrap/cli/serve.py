"""``cashwrap serve``: migrate, then serve the platform with uvicorn (httptools + uvloop)."""

from __future__ import annotations

import typer
import uvicorn

from cashwrap.app import create_app
from cashwrap.cli.common import DatabaseOption, prepare, settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Apply migrations and serve the platform's HTTP API (and its event dispatcher)."""
    current = settings(database_url)
    prepare(current)
    uvicorn.run(
        create_app(current),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
