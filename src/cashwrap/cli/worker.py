"""``cashwrap worker``: deliver the event stream, in a process of its own.

Any number of workers can share one PostgreSQL database (they claim work with ``SKIP LOCKED``
and wake on ``LISTEN cashwrap_events``); with SQLite run one (or let ``cashwrap serve`` do it).
SIGTERM or Ctrl-C stops claiming, finishes the deliveries in flight and records them; a worker
killed outright loses nothing: its leases expire after ``CASHWRAP_EVENT_CLAIM_SECONDS`` and any
worker takes them over.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import typer
import uvloop
from prometheus_client import start_http_server

from cashwrap.cli.common import DatabaseOption, prepare, settings
from cashwrap.core.uow import Database
from cashwrap.events.dispatcher import Dispatcher, DispatcherConfig

logger = logging.getLogger("cashwrap.worker")


def worker(
    database_url: str | None = DatabaseOption,
    concurrency: int | None = typer.Option(
        None, min=1, help="POSTs in flight at most (default CASHWRAP_EVENT_CONCURRENCY)."
    ),
    batch_size: int | None = typer.Option(
        None, min=1, help="Events claimed per transaction (default CASHWRAP_EVENT_BATCH_SIZE)."
    ),
    metrics_port: int = typer.Option(
        0, min=0, max=65535, help="Serve Prometheus metrics on this port (0: do not)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Interface of the metrics endpoint."),
) -> None:
    """Deliver the event stream to every running integration until stopped."""
    current = settings(database_url)
    prepare(current)
    config = DispatcherConfig.from_settings(current)
    overrides = {
        key: value
        for key, value in (("concurrency", concurrency), ("batch_size", batch_size))
        if value is not None
    }
    if overrides:
        config = DispatcherConfig(**{**config.__dict__, **overrides})
    if metrics_port:
        start_http_server(metrics_port, addr=metrics_host)
    uvloop.run(_run(current.database_url, current.database_pool_size, config))


async def _run(database_url: str, pool_size: int, config: DispatcherConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    database = Database(database_url, pool_size=min(pool_size, 4))
    dispatcher = Dispatcher(database, config)
    logger.info("worker started", extra={"worker": dispatcher.worker_id})
    try:
        await dispatcher.run_until(stop)
    finally:
        await database.dispose()
        logger.info("worker stopped", extra={"worker": dispatcher.worker_id, **_stats(dispatcher)})


def _stats(dispatcher: Dispatcher) -> dict[str, int]:
    return {
        "fanned_out": dispatcher.stats.fanned_out,
        "attempts": dispatcher.stats.attempts,
        "delivered": dispatcher.stats.delivered,
    }
