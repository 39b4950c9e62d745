"""Reading and conditionally writing configuration documents.

Writers call :func:`lock` then :func:`save` in one transaction. ``lock`` first makes sure the
row exists (``INSERT … ON CONFLICT DO NOTHING`` of an unset version-1 row) and then reads it
``FOR UPDATE``: concurrent writers of one document queue on that row lock (SQLite's
``BEGIN IMMEDIATE`` already queues every writer), so a writer always sees the version the last
winner committed. ``save`` is ``UPDATE … WHERE version = :read``: it can only fail if the lock
was not held, and then it reports the lost race instead of overwriting the winner.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config.models import ConfigDocument
from cashwrap.core import clock, sql

FIRST_VERSION = 1


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored; ``value`` is None when it is not set."""

    name: str
    value: Any
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @property
    def is_set(self) -> bool:
        return self.value is not None


def _unset(name: str) -> StoredDocument:
    return StoredDocument(name, None, FIRST_VERSION, None, None)


def _stored(row: ConfigDocument) -> StoredDocument:
    if row.value is None:
        return StoredDocument(row.name, None, row.version, None, None)
    return StoredDocument(
        row.name, row.value, row.version, clock.as_utc(row.updated_at), row.updated_by
    )


async def read(session: AsyncSession, tenant: str, name: str) -> StoredDocument:
    """One document (on the driver: other areas call this on their hot paths)."""
    return (await read_many(session, tenant, [name]))[name]


async def read_many(
    session: AsyncSession, tenant: str, names: list[str]
) -> dict[str, StoredDocument]:
    """Several documents in one query (for hot paths that need a few); unset ones included."""
    wanted = list(dict.fromkeys(names))
    statement = _read_many(len(wanted))
    values = {"tenant": tenant} | {f"name_{index}": name for index, name in enumerate(wanted)}
    found = {name: _unset(name) for name in wanted}
    for name, *stored in await sql.fetch(session, statement, values):
        found[name] = _document(name, *stored)
    return found


def _document(
    name: str, value: Any, version: int, updated_at: datetime | None, updated_by: str | None
) -> StoredDocument:
    if value is None:
        return StoredDocument(name, None, version, None, None)
    moment = clock.as_utc(updated_at) if updated_at is not None else None
    return StoredDocument(name, value, version, moment, updated_by)


@functools.cache
def _read_many(count: int) -> sql.Statement:
    """The documents of a tenant by name: one statement per number of names, compiled once."""
    return sql.Statement(
        select(
            ConfigDocument.name,
            ConfigDocument.value,
            ConfigDocument.version,
            ConfigDocument.updated_at,
            ConfigDocument.updated_by,
        ).where(
            ConfigDocument.tenant == bindparam("tenant"),
            ConfigDocument.name.in_([bindparam(f"name_{index}") for index in range(count)]),
        )
    )


async def read_prefixed(session: AsyncSession, tenant: str, prefix: str) -> list[StoredDocument]:
    """Every set document whose name starts with ``prefix`` (per-store documents), by name."""
    rows = await session.scalars(
        select(ConfigDocument)
        .where(
            ConfigDocument.tenant == tenant,
            ConfigDocument.name.startswith(prefix, autoescape=True),
            ConfigDocument.value.is_not(None),
        )
        .order_by(ConfigDocument.name)
    )
    return [_stored(row) for row in rows]


async def lock(session: AsyncSession, tenant: str, name: str) -> StoredDocument:
    """The current document, locked against other writers until the transaction ends."""
    values = {
        "tenant": tenant,
        "name": name,
        "value": None,
        "version": FIRST_VERSION,
        "updated_at": clock.now(),
        "updated_by": "",
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(
            postgresql_insert(ConfigDocument).values(values).on_conflict_do_nothing()
        )
    else:
        await session.execute(sqlite_insert(ConfigDocument).values(values).on_conflict_do_nothing())
    row = await session.scalar(
        select(ConfigDocument)
        .where(ConfigDocument.tenant == tenant, ConfigDocument.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return _stored(row)


async def save(
    session: AsyncSession,
    tenant: str,
    name: str,
    value: Any,
    *,
    read_version: int,
    updated_by: str,
) -> StoredDocument | None:
    """Write ``value`` (None unsets it) if the document is still at ``read_version``."""
    moment = clock.now()
    result = await session.execute(
        update(ConfigDocument)
        .where(
            ConfigDocument.tenant == tenant,
            ConfigDocument.name == name,
            ConfigDocument.version == read_version,
        )
        .values(value=value, version=read_version + 1, updated_at=moment, updated_by=updated_by)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    if value is None:
        return StoredDocument(name, None, read_version + 1, None, None)
    return StoredDocument(name, value, read_version + 1, moment, updated_by)
