"""``cashwrap serve``: migrate, then serve the platform with uvicorn (httptools + uvloop)."""

from __future__ import annotations

import os

import typer
import uvicorn
from fastapi import FastAPI

from cashwrap.app import create_app
from cashwrap.cli.common import DatabaseOption, prepare, settings
from cashwrap.core import gc_tuning, logs
from cashwrap.settings import get_settings

# A serving process runs for long: collect its garbage the cheaper way (see core.gc_tuning).
SERVING_PARTS = [gc_tuning.lifespan]


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Processes serving the API, each with its event dispatcher (PostgreSQL: about one "
        "per core; SQLite takes one writer at a time).",
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Apply migrations and serve the platform's HTTP API (and its event dispatcher)."""
    current = settings(database_url)
    prepare(current)
    app: FastAPI | str
    if workers == 1:
        app = create_app(current, serving_parts=SERVING_PARTS)
    else:
        # Each worker process builds its app from the environment: pass on what the options
        # changed.
        os.environ["CASHWRAP_DATABASE_URL"] = current.database_url
        app = "cashwrap.cli.serve:worker_app"
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


def worker_app() -> FastAPI:
    """The app of one of several worker processes (the parent has applied the migrations)."""
    current = get_settings()
    logs.configure(current.log_level, as_json=current.log_json)
    return create_app(current, serving_parts=SERVING_PARTS)
