"""``cashwrap db``: the database schema."""

from __future__ import annotations

import typer

from cashwrap import migrate
from cashwrap.cli.common import DatabaseOption, ensure_sqlite_folder, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(database_url: str | None = DatabaseOption) -> None:
    """Apply every migration not yet applied."""
    current = settings(database_url)
    ensure_sqlite_folder(current.database_url)
    migrate.upgrade(current.database_url)
    typer.echo("database schema is current")
