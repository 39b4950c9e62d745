"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=NORMAL`` and every transaction begins with
``BEGIN IMMEDIATE``: a transaction that starts as a reader and later writes would otherwise fail
with "database is locked" when another connection wrote in between, instead of waiting its turn.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Connection, Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from cashwrap.core.errors import DatabaseUnavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _json_value(text: Any) -> Any:
    if not isinstance(text, str | bytes):
        # As json.loads does: SQLAlchemy's SQLite JSON type then returns stored numbers as is.
        raise TypeError(f"JSON text expected, got {type(text).__name__}")
    return orjson.loads(text)


# JSON columns are written on every order (items' tax lines, addresses, attributes): orjson
# serializes them several times faster than the standard library's encoder.
_JSON = {"json_serializer": _json_text, "json_deserializer": _json_value}


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 10.0,
    statement_timeout: float | None = None,
    echo: bool = False,
) -> AsyncEngine:
    """``pool_timeout``: how long a unit of work waits for the database — a free connection,
    and on SQLite the write lock — before ``DatabaseUnavailable.busy()`` (503, retry).

    ``statement_timeout`` (PostgreSQL): how long a statement waits for the server's answer.
    A network that goes silent (a fail-over, a partition: no reset reaches the platform)
    otherwise holds the request, and its pooled connection, for as long as the kernel keeps the
    socket — hours. Past it the connection is dropped (:func:`silent`) and the request is a
    503 ``database_unavailable``. None: no limit (migrations, whose statements may be long).
    """
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": pool_timeout},
            pool_timeout=pool_timeout,
            **_JSON,
        )
        _configure_sqlite(engine, busy_ms=int(pool_timeout * 1000))
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=pool_timeout,
            pool_pre_ping=False,
            # A connection that cannot be made within the wait a request accepts is unreachable.
            connect_args={"timeout": pool_timeout, "command_timeout": statement_timeout},
            **_JSON,
        )
        _drop_closed_connections(engine)
    _unavailable_when_unreachable(engine)
    return engine


def _unavailable_when_unreachable(engine: AsyncEngine) -> None:
    """A database that cannot be reached, or that drops a connection in use, is a
    :class:`DatabaseUnavailable` (503, retry) to the request, not an internal error."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as error:  # refused, timed out, starting up, too many connections
            raise DatabaseUnavailable(DatabaseUnavailable.UNREACHABLE) from error

    @event.listens_for(engine.sync_engine, "handle_error")
    def _lost(context: ExceptionContext) -> None:
        if isinstance(context.original_exception, TimeoutError) and context.connection:
            context.is_disconnect = True  # SQLAlchemy invalidates the connection after this
            raise silent(context.connection.connection.driver_connection)
        retry = retry_answer(context.original_exception)
        if retry is not None:
            raise retry from context.original_exception
        # SQLAlchemy still invalidates the connection (and the pool's older ones) after this.
        if context.is_disconnect:
            lost = DatabaseUnavailable(DatabaseUnavailable.LOST)
            raise lost from context.original_exception


def silent(driver: Any) -> DatabaseUnavailable:
    """A statement got no answer within the statement timeout: the connection is closed at once
    (its rollback would wait as long again), and the pool replaces it."""
    driver.terminate()
    return DatabaseUnavailable(DatabaseUnavailable.SILENT)


def is_busy(error: BaseException) -> bool:
    """SQLite's write lock stayed taken by another connection for the whole busy timeout."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and (code & 0xFF == sqlite3.SQLITE_BUSY)
    )


# deadlock_detected, serialization_failure: PostgreSQL rolled the whole transaction back.
_ROLLED_BACK_TO_RETRY = frozenset({"40P01", "40001"})


def retry_answer(error: BaseException) -> DatabaseUnavailable | None:
    """The 503 a statement's error is when the same request again is the cure (None: it is
    not): SQLite stayed locked, or PostgreSQL ended the transaction to break a deadlock with
    another one — nothing of the request was committed either way."""
    if is_busy(error):
        return DatabaseUnavailable.busy()
    if getattr(error, "sqlstate", None) in _ROLLED_BACK_TO_RETRY:
        return DatabaseUnavailable.deadlock()
    return None


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """Hand out no pooled connection the server has closed (a restart, a fail-over, an
    administrator's ``pg_terminate_backend``, an idle timeout).

    The driver learns of the close as soon as the server sends it, so checking costs no round
    trip, unlike ``pool_pre_ping``. Without it a connection whose loss surfaced in a statement
    run on the driver (``core.sql``) went back to the pool and failed every request it served.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            # The pool discards it and connects again.
            raise exc.DisconnectionError("the server closed this connection")


def _configure_sqlite(engine: AsyncEngine, *, busy_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: handlers commit and then build their response.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
