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
from sqlalchemy import bindparam, exc
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
    columns: tuple[str, ...]
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


@dataclass(frozen=True)
class _CompiledRows:
    """A multi-row ``INSERT … VALUES (…), (…)``: one statement for PostgreSQL to execute
    instead of one per row."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        pairs = tuple(zip(self.keys, self.processors, strict=True))
        return [
            row[key] if process is None else process(row[key])
            for row in rows
            for key, process in pairs
        ]


# Rows per multi-row INSERT: few compiled variants per table, and far below the parameter
# limits of both databases (SQLite 32766, PostgreSQL 32767) whatever the table's width.
ROWS_PER_INSERT = 32


class Statement:
    """A Core statement, compiled on first use for each dialect (and, for an ``INSERT`` built
    without values, each set of row keys and number of rows)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}
        self._rows: dict[tuple[str, tuple[str, ...], int], _CompiledRows] = {}

    def compiled(self, dialect: Dialect, keys: tuple[str, ...] = ()) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compile(dialect, keys)
            self._compiled[(dialect.name, keys)] = found
        return found

    def compiled_rows(self, dialect: Dialect, keys: tuple[str, ...], count: int) -> _CompiledRows:
        found = self._rows.get((dialect.name, keys, count))
        if found is None:
            one = self.compiled(dialect, keys)
            insert = cast(Insert, self.statement)
            columns = insert.table.columns
            many = insert.values(
                [
                    {key: bindparam(f"{key}_{index}", type_=columns[key].type) for key in keys}
                    for index in range(count)
                ]
            )
            compiled = many.compile(dialect=dialect)
            expected = [f"{key}_{index}" for index in range(count) for key in keys]
            if list(compiled.positiontup or ()) != expected:
                raise ValueError(f"unexpected parameter order for a multi-row insert: {many}")
            found = _CompiledRows(
                str(compiled), keys, tuple(one.processors[one.names.index(k)] for k in keys)
            )
            self._rows[(dialect.name, keys, count)] = found
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
        processors = compiled._bind_processors  # SQLAlchemy's own conversions
        selected = list(getattr(statement, "selected_columns", ()))
        return _Compiled(
            sql=str(compiled),
            names=names,
            processors=tuple(
                cast(Callable[[Any], Any] | None, processors.get(name)) for name in names
            ),
            results=tuple(
                column.type._cached_result_processor(dialect, None) for column in selected
            ),
            columns=tuple(column.key for column in selected),
            literals={
                name: parameter.effective_value
                for name, parameter in ((name, compiled.binds[name]) for name in names)
                if not parameter.required
            },
        )


async def execute(
    session: AsyncSession, statement: Statement, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Run ``statement`` for each row; the number of rows it affected.

    An ``INSERT`` of several rows is sent as multi-row ``INSERT``s of up to
    :data:`ROWS_PER_INSERT` rows; other statements as one batch (pipelined on PostgreSQL).
    """
    if not rows:
        return 0
    driver, dialect = await _driver(session)
    keys = tuple(rows[0])
    if len(rows) > 1 and isinstance(statement.statement, Insert):
        affected = 0
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            many = statement.compiled_rows(dialect, keys, len(chunk))
            affected += await _run(driver, many.sql, [many.arguments(chunk)])
        return affected
    compiled = statement.compiled(dialect, keys)
    return await _run(driver, compiled.sql, [compiled.arguments(row) for row in rows])


async def run(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None = None
) -> int:
    """Run ``statement`` once (an ``UPDATE``, a ``DELETE``); the number of rows it affected."""
    driver, dialect = await _driver(session)
    compiled = statement.compiled(dialect)
    return await _run(driver, compiled.sql, [compiled.arguments(values or {})])


async def fetch(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows ``statement`` returns for one set of parameters (values converted as the ORM
    would: SQLite's dates become datetimes)."""
    compiled, raw = await _fetch(session, statement, values)
    return [compiled.row(row) for row in raw]


async def fetch_mappings(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """As :func:`fetch`, each row a dict by column key."""
    compiled, raw = await _fetch(session, statement, values)
    return [dict(zip(compiled.columns, compiled.row(row), strict=True)) for row in raw]


async def _fetch(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None
) -> tuple[_Compiled, Sequence[Sequence[Any]]]:
    driver, dialect = await _driver(session)
    keys = tuple(values) if isinstance(statement.statement, Insert) and values else ()
    compiled = statement.compiled(dialect, keys)
    arguments = compiled.arguments(values or {})
    try:
        if isinstance(driver, asyncpg.Connection):
            return compiled, await driver.fetch(compiled.sql, *arguments)
        async with driver.execute(compiled.sql, arguments) as cursor:
            return compiled, list(await cursor.fetchall())
    except (asyncpg.PostgresError, sqlite3.Error) as error:
        raise _translated(error, compiled.sql, [arguments]) from error


async def _run(driver: Any, sql: str, arguments: list[Sequence[Any]]) -> int:
    try:
        if isinstance(driver, asyncpg.Connection):
            if len(arguments) == 1:
                status: str = await driver.execute(sql, *arguments[0])
                return _affected(status)
            await driver.executemany(sql, arguments)
            return len(arguments)  # asyncpg does not report it for a batch
        if len(arguments) == 1:
            async with driver.execute(sql, arguments[0]) as cursor:
                return int(cursor.rowcount)
        async with driver.executemany(sql, arguments) as cursor:
            return int(cursor.rowcount)
    except (asyncpg.PostgresError, sqlite3.Error) as error:
        raise _translated(error, sql, arguments) from error


def _affected(status: str) -> int:
    """The row count of a command tag: ``INSERT 0 3``, ``UPDATE 1``, ``DELETE 0``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _driver(session: AsyncSession) -> tuple[Any, Dialect]:
    """The driver connection of the session's transaction, begun if it was not yet; kept in
    the session for the rest of that transaction (finding it costs a greenlet switch).

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
    # The pool's proxy of the connection the transaction holds: no I/O to reach it.
    sync_connection = connection.sync_connection
    assert sync_connection is not None  # session.connection() returns a started connection
    raw = sync_connection.connection
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
