"""A fresh, migrated database for each test run: a SQLite file or a new PostgreSQL database.

``CASHWRAP_TEST_DATABASE`` chooses the kind (``sqlite``, the default, or ``postgresql``);
``CASHWRAP_TEST_POSTGRES_URL`` names the server (a database on it to connect to first). Each
run creates its own database, so parallel runs never share state, and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from cashwrap import migrate

POSTGRES_SERVER = os.environ.get(
    "CASHWRAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def kind() -> str:
    return os.environ.get("CASHWRAP_TEST_DATABASE", "sqlite").lower()


@contextmanager
def fresh_database(folder: Path, label: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new, migrated database; remove it afterwards."""
    if kind().startswith("postgres"):
        name = f"cashwrap_test_{label}_{uuid.uuid4().hex[:10]}"
        asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
        base = POSTGRES_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{name}"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        url = f"sqlite+aiosqlite:///{folder / f'{label}.db'}"
        migrate.upgrade(url)
        yield url


async def postgres_admin(statement: str, *arguments: object, dsn: str = POSTGRES_SERVER) -> None:
    """Run ``statement`` on its own connection, as an administrator of the server would."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()


@contextmanager
def connection_lost_on_insert(url: str, table: str, tenant: str) -> Iterator[None]:
    """PostgreSQL: while inside, a connection inserting a row of ``tenant`` into ``table`` is
    closed by the server in the middle of that statement (as a restart or a fail-over would)."""
    name = f"cashwrap_test_lose_{uuid.uuid4().hex[:10]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    if "'" in tenant:
        raise ValueError("a tenant name without quotes")
    asyncio.run(
        postgres_admin(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"IF NEW.tenant = '{tenant}' THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
            f"END IF; RETURN NEW; END $body$; "
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            dsn=dsn,
        )
    )
    try:
        yield
    finally:
        asyncio.run(
            postgres_admin(f"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}()", dsn=dsn)
        )
