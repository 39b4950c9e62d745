"""Schema migrations (Alembic): where they live, applying them, whether a database is current."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection


def migrations_dir() -> Path:
    """The repository's ``migrations/`` (editable install) or the copy packed into the wheel."""
    configured = os.environ.get("CASHWRAP_MIGRATIONS_DIR")
    candidates = [Path(configured)] if configured else []
    here = Path(__file__).resolve().parent
    candidates += [here.parents[1] / "migrations", here / "_migrations"]
    for candidate in candidates:
        if (candidate / "env.py").exists():
            return candidate
    raise RuntimeError("cannot find the migrations directory; set CASHWRAP_MIGRATIONS_DIR")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Apply every migration not yet applied. Synchronous: call it outside a running event loop."""
    command.upgrade(alembic_config(database_url), revision)


def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(migrations_dir())).get_heads())


async def applied_revisions(connection: AsyncConnection) -> frozenset[str]:
    try:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return frozenset()
    return frozenset(row[0] for row in rows)
