"""Migrations build the whole schema from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, inspect, select

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


def test_a_row_in_every_table_survives_a_downgrade_and_the_upgrade_back(tmp_path):
    """Changing a column's type copies the table on SQLite; with foreign keys on, dropping a
    parent table would delete its children by cascade. One row in every table (each child
    referencing its parent's row) must still be there after 0010 is undone and redone."""
    from alembic import command

    with databases.fresh_database(tmp_path, "rows") as url:
        asyncio.run(_fill_every_table(url))
        before = asyncio.run(_row_counts(url))
        command.downgrade(migrate.alembic_config(url), "0009_returns")
        assert asyncio.run(_row_counts(url)) == before
        migrate.upgrade(url)
        assert asyncio.run(_row_counts(url)) == before
    assert set(before.values()) == {1}


async def _fill_every_table(url: str) -> None:
    rows: dict[str, dict[str, object]] = {}
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            for table in metadata.sorted_tables:
                row: dict[str, object] = {}
                for column in table.columns:
                    parents = [key.column for key in column.foreign_keys]
                    if parents and parents[0].table is not table:
                        row[column.key] = rows[parents[0].table.name][parents[0].key]
                    elif parents:
                        row[column.key] = None  # a row referring to its own table: none here
                    else:
                        row[column.key] = _a_value(column.type.python_type)
                await connection.execute(table.insert().values(row))
                rows[table.name] = row
    finally:
        await engine.dispose()


def _a_value(kind: type) -> object:
    values: dict[type, object] = {
        str: "x", int: 1, float: 1.0, bool: False, dict: {}, list: [], bytes: b"x",
        datetime: datetime.now(UTC), date: date(2026, 1, 1), Decimal: Decimal(1), object: {},
    }  # fmt: skip
    return values[kind]


async def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return {
                table.name: (
                    await connection.execute(select(func.count()).select_from(table))
                ).scalar_one()
                for table in metadata.sorted_tables
            }
    finally:
        await engine.dispose()
