"""Migrations build the whole schema from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from cashwrap import migrate
from cashwrap.all_models import metadata
from cashwrap.core.db import create_engine
from tests.support import databases


def test_migrations_from_empty_database_match_the_models(tmp_path):
    with databases.fresh_database(tmp_path, "migrations") as url:

        async def check() -> tuple[set[str], frozenset[str]]:
            engine = create_engine(url, pool_size=1)
            try:
                async with engine.connect() as connection:
                    tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
                    applied = await migrate.applied_revisions(connection)
                    return tables, applied
            finally:
                await engine.dispose()

        tables, applied = asyncio.run(check())
        assert set(metadata.tables) <= tables
        assert applied == migrate.head_revisions()
        # Running them again is a no-op, not an error.
        migrate.upgrade(url)


def test_models_and_migrations_do_not_drift(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with databases.fresh_database(tmp_path, "drift") as url:

        async def diff() -> list[object]:
            engine = create_engine(url, pool_size=1)
            try:
                async with engine.connect() as connection:
                    return await connection.run_sync(
                        lambda c: compare_metadata(
                            MigrationContext.configure(c, opts={"compare_type": True}), metadata
                        )
                    )
            finally:
                await engine.dispose()

        assert asyncio.run(diff()) == []
