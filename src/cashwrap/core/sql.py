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
:class:`sqlalchemy.exc.DBAPIError`, so callers catch what they caught before — except the loss
of the connection, which is :class:`~cashwrap.core.errors.DatabaseUnavailable` as it is on
SQLAlchemy's own path (``core.db``).

Rules for statements run here: no expanding ``IN`` lists (give one bind parameter per value) and
no Python-side column defaults (every row names its values) — both are refused when compiled.

**Inserts sent later** (:func:`insert_later`, and :func:`run_later` for an update): rows nobody
reads back in the transaction (an order, its items, its events, the stock a sale takes) wait on
the connection and go with the next statement — on PostgreSQL inside it, as data-modifying
``WITH`` parts, so a sale's or an injection's rows cost a few round trips instead of one per
table. Whatever runs next on the connection sends them first (any SQLAlchemy statement, a
savepoint, the commit); a rollback drops them with the rest, the rollback of a savepoint those
queued inside it. Their constraint violations are nobody's
:class:`~sqlalchemy.exc.IntegrityError` (a bug), unless they were queued with the answer to give
when they break a unique constraint (``refusal``: a taken order number), which is then raised by
whichever statement sends them.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

import asyncpg
from sqlalchemy import Table, bindparam, event, exc
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.util import find_tables
from sqlalchemy.util import await_only

from cashwrap.core.db import retry_answer, silent
from cashwrap.core.errors import DatabaseUnavailable

_DRIVER = "cashwrap.core.sql.driver"
_NONE: Mapping[str, Exception] = MappingProxyType({})


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

    def __init__(
        self,
        statement: ClauseElement,
        *,
        postgresql: ClauseElement | None = None,
        reads: Sequence[Table] = (),
    ) -> None:
        """``postgresql``: the query to run there instead (same parameters and columns);
        ``reads``: tables read by a database function one of them calls."""
        if postgresql is not None and isinstance(statement, Insert):
            raise ValueError("an INSERT has one text for both databases")
        self.statement = statement
        self.postgresql = postgresql
        self.tables = frozenset(
            table.name
            for variant in (statement, postgresql)
            if variant is not None
            for table in find_tables(variant, include_crud=True, include_joins=True)
            if isinstance(table, Table)
        ) | frozenset(table.name for table in reads)
        """The tables it reads or writes: waiting inserts into one of them are sent before it."""
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
        if self.postgresql is not None and dialect.name == "postgresql":
            statement = self.postgresql
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
    driver, dialect, later = await _driver(session)
    if isinstance(statement.statement, Insert):
        affected = 0
        for part in _insert_parts(statement, dialect, rows):
            joined, values, owner, refusals = await later.joined(
                driver, part.sql, part.arguments, statement
            )
            affected += await _run(driver, joined, [values], owner=owner, refusals=refusals)
        return affected
    await later.send(driver)
    compiled = statement.compiled(dialect, tuple(rows[0]))
    return await _run(driver, compiled.sql, [compiled.arguments(row) for row in rows])


async def insert_later(
    session: AsyncSession,
    statement: Statement,
    rows: Sequence[Mapping[str, Any]],
    *,
    refusal: Exception | None = None,
) -> None:
    """Queue ``rows`` of an ``INSERT`` to go with the next statement of the transaction (see
    the module): for rows nothing reads back before the commit. A constraint violation of
    theirs is a :class:`sqlalchemy.exc.DBAPIError` to whoever sends them — or, when they break
    a unique constraint, ``refusal`` if given: for rows whose conflict is an answer (a taken
    order number), raised by whichever statement sends them, the commit included, before the
    transaction rolls back."""
    if not rows:
        return
    _, dialect, later = await _driver(session)
    later.parts.extend(_insert_parts(statement, dialect, rows, refusal))


async def run_later(session: AsyncSession, statement: Statement, values: Mapping[str, Any]) -> None:
    """Queue ``statement`` (an ``UPDATE`` or ``DELETE``) to go with the next statement of the
    transaction, as :func:`insert_later` queues rows: for a change whose row count nobody reads
    and whose failure would be a bug, which may wait for the statement that follows it."""
    _, dialect, later = await _driver(session)
    compiled = statement.compiled(dialect)
    later.parts.append(
        _Part(compiled.sql, list(compiled.arguments(values)), statement.tables, _NONE)
    )


def _insert_parts(
    statement: Statement,
    dialect: Dialect,
    rows: Sequence[Mapping[str, Any]],
    refusal: Exception | None = None,
) -> list[_Part]:
    """One ``(sql, arguments)`` per multi-row ``INSERT`` of up to :data:`ROWS_PER_INSERT` rows."""
    keys = tuple(rows[0])
    refusals = {_table_of(statement): refusal} if refusal is not None else {}
    if len(rows) == 1:
        compiled = statement.compiled(dialect, keys)
        return [_Part(compiled.sql, list(compiled.arguments(rows[0])), statement.tables, refusals)]
    parts = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        many = statement.compiled_rows(dialect, keys, len(chunk))
        parts.append(_Part(many.sql, many.arguments(chunk), statement.tables, refusals))
    return parts


@dataclass(frozen=True)
class _Part:
    sql: str
    arguments: list[Any]
    tables: frozenset[str]
    refusals: Mapping[str, Exception]
    """By table: what a constraint violation of this part's rows raises (see insert_later)."""


def _refusals(parts: Sequence[_Part]) -> Mapping[str, Exception]:
    found: dict[str, Exception] = {}
    for part in parts:
        found.update(part.refusals)
    return found


@dataclass
class _Later:
    """The inserts waiting on one connection, in the order they were queued."""

    parts: list[_Part]
    postgres: bool

    async def joined(
        self, driver: Any, sql: str, arguments: Sequence[Any], statement: Statement
    ) -> tuple[str, list[Any], str | None, Mapping[str, Exception]]:
        """``sql`` with the waiting inserts as ``WITH`` parts when it can carry them (else they
        are sent first): what to run, its arguments, — when it carries them — the table whose
        constraint violations are the caller's (``""``: none), and the carried rows' refusals.

        A statement that reads or writes a table with waiting rows does not carry them: the
        parts of one statement do not see each other's rows.
        """
        if self.parts:
            merged = None
            if self.postgres and not any(part.tables & statement.tables for part in self.parts):
                merged = _merged(tuple(part.sql for part in self.parts), sql)
            if merged is not None:
                carried = [value for part in self.parts for value in part.arguments]
                refusals = _refusals(self.parts)
                self.parts.clear()
                return merged, carried + list(arguments), _table_of(statement), refusals
            await self.send(driver)
        return sql, list(arguments), None, _NONE

    async def send(self, driver: Any) -> None:
        """Send the waiting inserts now: one statement on PostgreSQL."""
        if not self.parts:
            return
        parts, self.parts = self.parts, []
        if self.postgres and len(parts) > 1:
            merged = _merged(tuple(part.sql for part in parts[:-1]), parts[-1].sql)
            if merged is not None:
                arguments = [value for part in parts for value in part.arguments]
                await _run(driver, merged, [arguments], owner="", refusals=_refusals(parts))
                return
        for part in parts:
            await _run(driver, part.sql, [part.arguments], owner="", refusals=part.refusals)


def _table_of(statement: Statement) -> str:
    if not isinstance(statement.statement, UpdateBase):
        return ""
    return str(getattr(statement.statement.table, "name", ""))


_PLACEHOLDER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=512)
def _merged(parts: tuple[str, ...], main: str) -> str | None:
    """PostgreSQL: ``main`` with ``parts`` (INSERTs) as data-modifying ``WITH`` parts, their
    ``$n`` placeholders numbered in sequence; None when a text could make that unsafe (a
    quoted literal, a recursive ``WITH``)."""
    if any("'" in text or "$$" in text for text in (*parts, main)):
        return None
    if main.startswith("WITH RECURSIVE"):
        return None
    offset = 0
    ctes = []
    for index, part in enumerate(parts):
        ctes.append(f"cashwrap_later_{index} AS ({_renumbered(part, offset)})")
        offset += _parameter_count(part)
    body = _renumbered(main, offset)
    if body.startswith("WITH "):
        return "WITH " + ", ".join(ctes) + ", " + body[len("WITH ") :]
    return "WITH " + ", ".join(ctes) + " " + body


def _parameter_count(sql: str) -> int:
    return max((int(number) for number in _PLACEHOLDER.findall(sql)), default=0)


def _renumbered(sql: str, offset: int) -> str:
    if not offset:
        return sql
    return _PLACEHOLDER.sub(lambda found: f"${int(found.group(1)) + offset}", sql)


async def run(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None = None
) -> int:
    """Run ``statement`` once (an ``UPDATE``, a ``DELETE``); the number of rows it affected."""
    driver, dialect, later = await _driver(session)
    compiled = statement.compiled(dialect)
    arguments = compiled.arguments(values or {})
    joined, values_, owner, refusals = await later.joined(
        driver, compiled.sql, arguments, statement
    )
    return await _run(driver, joined, [values_], owner=owner, refusals=refusals)


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


async def fetch_alone(
    engine: AsyncEngine, statement: Statement, values: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """As :func:`fetch`, but outside any transaction: the statement commits by itself.

    One round trip where a transaction of its own costs three (``BEGIN``, the statement,
    ``COMMIT``) and a session; for a single statement that must not wait for a longer
    transaction, such as taking the next number of a counter.
    """
    async with _alone(engine) as (driver, dialect):
        compiled = statement.compiled(dialect, _insert_keys(statement, values))
        found = await _fetch_on(driver, compiled.sql, compiled.arguments(values or {}))
        return [compiled.row(row) for row in found]


async def execute_alone(
    engine: AsyncEngine, statement: Statement, values: Mapping[str, Any]
) -> int:
    """Run ``statement`` once outside any transaction (it commits by itself, as with
    :func:`fetch_alone`): for a write that is a whole unit of work, such as a new empty cart.
    The number of rows it affected."""
    async with _alone(engine) as (driver, dialect):
        compiled = statement.compiled(dialect, _insert_keys(statement, values))
        return await _run(driver, compiled.sql, [compiled.arguments(values)])


@asynccontextmanager
async def _alone(engine: AsyncEngine) -> AsyncIterator[tuple[Any, Dialect]]:
    try:
        connection = await engine.connect()  # awaited: connected, to be closed here
    except exc.TimeoutError as error:
        raise DatabaseUnavailable.busy() from error
    try:
        # The driver connection as the pool hands it out: no transaction is begun on it, so
        # the driver runs statements in autocommit; returning it to the pool sends nothing.
        raw = await connection.get_raw_connection()
        yield raw.driver_connection, connection.dialect
    finally:
        await connection.close()


async def _fetch(
    session: AsyncSession, statement: Statement, values: Mapping[str, Any] | None
) -> tuple[_Compiled, Sequence[Sequence[Any]]]:
    driver, dialect, later = await _driver(session)
    compiled = statement.compiled(dialect, _insert_keys(statement, values))
    sql, arguments, owner, refusals = await later.joined(
        driver, compiled.sql, compiled.arguments(values or {}), statement
    )
    return compiled, await _fetch_on(driver, sql, arguments, owner=owner, refusals=refusals)


def _insert_keys(statement: Statement, values: Mapping[str, Any] | None) -> tuple[str, ...]:
    return tuple(values) if isinstance(statement.statement, Insert) and values else ()


async def _fetch_on(
    driver: Any,
    sql: str,
    arguments: Sequence[Any],
    *,
    owner: str | None = None,
    refusals: Mapping[str, Exception] = _NONE,
) -> Sequence[Sequence[Any]]:
    try:
        if isinstance(driver, asyncpg.Connection):
            return cast(Sequence[Sequence[Any]], await driver.fetch(sql, *arguments))
        async with driver.execute(sql, arguments) as cursor:
            return list(await cursor.fetchall())
    except Exception as error:
        failure = _failure(driver, error, sql, [arguments], owner, refusals)
        if failure is None:
            raise
        raise failure from error


async def _run(
    driver: Any,
    sql: str,
    arguments: list[Sequence[Any]],
    *,
    owner: str | None = None,
    refusals: Mapping[str, Exception] = _NONE,
) -> int:
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
    except Exception as error:
        failure = _failure(driver, error, sql, arguments, owner, refusals)
        if failure is None:
            raise
        raise failure from error


def _failure(
    driver: Any,
    error: Exception,
    sql: str,
    arguments: Sequence[Any],
    owner: str | None,
    refusals: Mapping[str, Exception],
) -> Exception | None:
    """What a statement's ``error`` is raised as (None: as it is)."""
    if isinstance(error, TimeoutError) and isinstance(driver, asyncpg.Connection):
        return silent(driver)
    if _closed(driver):
        return DatabaseUnavailable(DatabaseUnavailable.LOST)
    retry = retry_answer(error)
    if retry is not None:
        return retry
    if isinstance(error, asyncpg.PostgresError | sqlite3.Error):
        return _translated(error, sql, arguments, owner, refusals)
    return None


def _closed(driver: Any) -> bool:
    """The server closed the connection: the error is its loss, whatever the driver called it
    (the pool will not hand the connection out again, see ``core.db``)."""
    return isinstance(driver, asyncpg.Connection) and driver.is_closed()


def _affected(status: str) -> int:
    """The row count of a command tag: ``INSERT 0 3``, ``UPDATE 1``, ``DELETE 0``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _driver(session: AsyncSession) -> tuple[Any, Dialect, _Later]:
    """The driver connection of the session's transaction, begun if it was not yet, and the
    inserts waiting on it; kept in the session for the rest of that transaction (finding them
    costs a greenlet switch).

    SQLAlchemy's asyncpg adapter sends ``BEGIN`` only before its first statement; a statement
    sent around it first would run outside the transaction, so it is begun here. SQLite's
    ``BEGIN IMMEDIATE`` is sent when the session takes its connection (see ``core.db``).
    """
    sync_session = session.sync_session
    # The innermost transaction: inside a savepoint block the session is asked again, which
    # sends its SAVEPOINT (SQLAlchemy sends it when the block first needs the connection).
    transaction = sync_session.get_nested_transaction() or sync_session.get_transaction()
    found = sync_session.info.get(_DRIVER)
    if found is not None and transaction is not None and found[0] is transaction:
        return found[1], found[2], found[3]
    connection = await session.connection()
    # The pool's proxy of the connection the transaction holds: no I/O to reach it.
    sync_connection = connection.sync_connection
    assert sync_connection is not None  # session.connection() returns a started connection
    raw = sync_connection.connection
    adapted: Any = raw.dbapi_connection
    if getattr(adapted, "_transaction", False) is None:
        try:
            await adapted._start_transaction()
        except Exception as error:
            failure = _failure(raw.driver_connection, error, "BEGIN", [], None, _NONE)
            if failure is None:
                raise
            raise failure from error
    later = _later_on(sync_connection)
    current = sync_session.get_nested_transaction() or sync_session.get_transaction()
    found = (current, raw.driver_connection, connection.dialect, later)
    sync_session.info[_DRIVER] = found
    return found[1], found[2], found[3]


_LATER = "cashwrap.core.sql.later"


def _later_on(connection: Connection) -> _Later:
    """The waiting inserts of a connection (kept with the pooled connection, emptied at every
    commit and rollback)."""
    later: _Later | None = connection.info.get(_LATER)
    if later is None:
        later = _Later([], connection.dialect.name == "postgresql")
        connection.info[_LATER] = later
    return later


def _send_waiting(connection: Connection) -> None:
    later: _Later | None = connection.info.get(_LATER)
    if later is not None and later.parts:
        # SQLAlchemy runs this in the greenlet of an awaited call: the driver can be awaited.
        await_only(later.send(connection.connection.driver_connection))


@event.listens_for(Engine, "before_cursor_execute")
def _before_statement(connection: Connection, *_: Any) -> None:
    # Any statement SQLAlchemy sends (a query, a savepoint) comes after the waiting inserts.
    _send_waiting(connection)


@event.listens_for(Engine, "commit")
def _before_commit(connection: Connection) -> None:
    _send_waiting(connection)


@event.listens_for(Engine, "savepoint")
def _before_savepoint(connection: Connection, _name: str) -> None:
    # Nothing waits across a savepoint: what waits at its rollback was queued inside it.
    _send_waiting(connection)


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "rollback_savepoint")
def _on_rollback(connection: Connection, *_: Any) -> None:
    if connection.invalidated:
        return  # lost: the pool discards the connection with what waited on it
    later: _Later | None = connection.info.get(_LATER)
    if later is not None:
        later.parts.clear()


def _translated(
    error: Exception,
    sql: str,
    arguments: Sequence[Any],
    owner: str | None = None,
    refusals: Mapping[str, Exception] = _NONE,
) -> Exception:
    """SQLAlchemy's kind of ``error``. ``owner``: the statement carried waiting inserts, and
    only a violation on this table is an :class:`~sqlalchemy.exc.IntegrityError` its caller
    may answer; one of theirs is a plain :class:`~sqlalchemy.exc.DBAPIError` — or, when rows
    queued with a refusal break a unique constraint, that refusal."""
    violation = isinstance(
        error, asyncpg.IntegrityConstraintViolationError | sqlite3.IntegrityError
    )
    table: str | None = getattr(error, "table_name", None)
    if refusals and _is_unique_violation(error):
        if table is not None and table in refusals:
            return refusals[table]
        if table is None and len(refusals) == 1:
            # SQLite names no table, but there a part with a refusal is always sent alone.
            return next(iter(refusals.values()))
    integrity = violation and (owner is None or table == owner)
    kind = exc.IntegrityError if integrity else exc.DBAPIError
    return kind(sql, list(arguments), error)


def _is_unique_violation(error: Exception) -> bool:
    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    name = getattr(error, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
