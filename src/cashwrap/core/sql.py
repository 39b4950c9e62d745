"""Hot-path statements run on the database driver, inside the session's transaction.

SQLAlchemy's execution of an already compiled Core statement still costs about three times what
the driver itself costs (execution context, parameter and result processing, a greenlet switch
per statement): on order injection and checkout that was most of the platform's CPU per order.
A :class:`Statement` is compiled **once per dialect and set of columns** by SQLAlchemy — so the
SQL, the bind casts and the type conversions (JSON, SQLite's dates and booleans) are exactly
the ORM's — and then run with the driver's own ``executemany``/``fetch`` on the connection the
session's transaction already holds. Rows written this way read back through the ORM like any
other; a commit or rollback of the session covers them.

Errors keep SQLAlchemy's kinds: a constraint violation raises
:class:`sqlalchemy.exc.IntegrityError`, anything else the driver raises
:class:`sqlalchemy.exc.DBAPIError`, so callers catch what they caught before.

Rules for statements run here: no expanding ``IN`` lists (give one bind parameter per value) and
no Python-side column defaults (every row names its values) — both are refused when compiled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert

_DRIVER = "cashwrap.core.sql.driver"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]
    literals: Mapping[str, Any]
    """Values the statement carries itself (``status == 'RESERVED'``)."""

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        literals = self.literals
        return tuple(
            value if process is None else process(value)
            for value, process in zip(
                (values[name] if name in values else literals[name] for name in self.names),
                self.processors,
                strict=True,
            )
        )

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not any(self.results):
            return tuple(raw)
        return tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(raw, self.results, strict=True)
        )


class Statement:
    """A Core statement, compiled on first use for each dialect (and, for an ``INSERT`` built
    without values, each set of row keys)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def compiled(self, dialect: Dialect, keys: tuple[str, ...] = ()) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compile(dialect, keys)
            self._compiled[(dialect.name, keys)] = found
        return found

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        statement = self.statement
        if isinstance(statement, Insert) and keys:
            table = statement.table
            missing = [
                column.key
                for column in table.columns
                if column.key not in keys and column.default is not None
            ]
            if missing:
                raise ValueError(f"rows for {table} must give {missing} (Python-side defaults)")
        compiled = cast(
            SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys) or None)
        )
        if compiled.positiontup is None:
            raise ValueError("the driver needs a positional parameter style")
        names = tuple(compiled.positiontup)
        if any("POSTCOMPILE" in name for name in names) or "__[POSTCOMPILE" in str(compiled):
            raise ValueError("expanding IN lists are not supported: one parameter per value")
        bind = compiled._bind_processors  # SQLAlchemy's own conversions
        results = tuple(
            column.type._cached_result_processor(dialect, None)
            for column in getattr(statement, "selected_columns", ())
        )
        return _Compiled(
            sql=str(compiled),
            names=names,
            processors=tuple(cast(Callable[[Any], Any] | None, bind.get(name)) for name in names),
            results=results,
            literals={
                name: bind.effective_value
                for name, bind in ((name, compiled.binds[name]) for name in names)
                if not bind.required
            },
        )


async def execute(
    session: AsyncSession, statement: Statement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``statement`` once per row (one round trip on PostgreSQL: a pipelined batch)."""
    if not rows:
        return
    driver, dialect = await _driver(session)
    compiled = statement.compiled(dialect, tuple(rows[0]))
    arguments = [compiled.arguments(row) for row in rows]
    try:
        if isinstance(driver, asyncpg.Connection):
            if len(arguments) == 1:
                await driver.execute(compiled.sql, *arguments[0])
            else:
                await driver.executemany(compiled.sql, arguments)
        else:
            await driver.executemany(compiled.sql, arguments)
    except (asyncpg.PostgresError, sqlite3.Error) as error:
        raise _translated(error, compiled.sql, arguments) from error


async def fetch(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows ``statement`` returns for one set of parameters (values converted as the ORM
    would: SQLite's dates become datetimes)."""
    driver, dialect = await _driver(session)
    keys = tuple(values) if isinstance(statement.statement, Insert) and values else ()
    compiled = statement.compiled(dialect, keys)
    arguments = compiled.arguments(values or {})
    try:
        if isinstance(driver, asyncpg.Connection):
            raw = await driver.fetch(compiled.sql, *arguments)
        else:
            async with driver.execute(compiled.sql, arguments) as cursor:
                raw = await cursor.fetchall()
    except (asyncpg.PostgresError, sqlite3.Error) as error:
        raise _translated(error, compiled.sql, [arguments]) from error
    return [compiled.row(row) for row in raw]


async def _driver(session: AsyncSession) -> tuple[Any, Dialect]:
    """The driver connection of the session's transaction, begun if it was not yet; kept in
    the session for the rest of that transaction (finding it costs two greenlet switches).

    SQLAlchemy's asyncpg adapter sends ``BEGIN`` only before its first statement; a statement
    sent around it first would run outside the transaction, so it is begun here. SQLite's
    ``BEGIN IMMEDIATE`` is sent when the session takes its connection (see ``core.db``).
    """
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    found = sync_session.info.get(_DRIVER)
    if found is not None and transaction is not None and found[0] is transaction:
        return found[1], found[2]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    if getattr(adapted, "_transaction", False) is None:
        await adapted._start_transaction()
    found = (sync_session.get_transaction(), raw.driver_connection, connection.dialect)
    sync_session.info[_DRIVER] = found
    return found[1], found[2]


def _translated(error: Exception, sql: str, arguments: Sequence[Any]) -> exc.DBAPIError:
    integrity = isinstance(
        error, asyncpg.IntegrityConstraintViolationError | sqlite3.IntegrityError
    )
    kind = exc.IntegrityError if integrity else exc.DBAPIError
    return kind(sql, list(arguments), error)
