"""Helpers every command shares: settings, logging, a database session, JSON output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap import migrate
from cashwrap.core import logs
from cashwrap.core.errors import DomainError
from cashwrap.core.uow import Database
from cashwrap.settings import Settings, get_settings

T = TypeVar("T")


def settings(database_url: str | None = None) -> Settings:
    current = get_settings()
    if database_url:
        current = current.model_copy(update={"database_url": database_url})
    return current


def prepare(current: Settings) -> None:
    """Logging, the SQLite file's folder and the schema, before a command uses the database."""
    logs.configure(current.log_level, as_json=current.log_json)
    ensure_sqlite_folder(current.database_url)
    if current.run_migrations_on_start:
        migrate.upgrade(current.database_url)


def ensure_sqlite_folder(url: str) -> None:
    from pathlib import Path

    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def run_in_transaction(current: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction; a domain error ends the command."""

    async def main() -> T:
        database = Database(current.database_url, pool_size=1)
        try:
            async with database.transaction() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        fail(error.message, code=error.error_code)
        raise  # unreachable: fail() exits


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def fail(message: str, *, code: str = "error", exit_code: int = 1) -> None:
    typer.secho(f"error ({code}): {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(exit_code)


DatabaseOption = typer.Option(
    None, "--database-url", envvar="CASHWRAP_DATABASE_URL", help="SQLAlchemy database URL."
)
