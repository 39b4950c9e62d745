"""A sandbox's own database: the tables every sandbox has, and how they are created.

Sandboxes do not share the platform's schema or its migrations: each one owns a database (a
SQLite file by default) and creates its tables at start-up with ``create_all``. The tables here
are on their own metadata; each sandbox declares its business tables on a metadata of its own and
hands both to :class:`~cashwrap.sandbox.common.app.Sandbox`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, String, Text, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cashwrap.core.db import NAMING_CONVENTION
from cashwrap.core.uow import Database


class CommonBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Fault(CommonBase):
    """A fault dialed for one operation (or ``*``, every operation).

    ``remaining`` counts the calls it still applies to; ``None`` means until it is cleared.
    """

    __tablename__ = "sandbox_faults"

    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CallRecord(CommonBase):
    """One request the sandbox received on a contract operation, with the answer it sent."""

    __tablename__ = "sandbox_calls"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(256), nullable=True)
    authorized: Mapped[bool]
    request_body: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    fault: Mapped[str | None] = mapped_column(String(16), nullable=True)
    replayed: Mapped[bool]
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(Integer)


class StoredReply(CommonBase):
    """The stored answer to an idempotency key: a repeated key gets exactly these bytes back."""

    __tablename__ = "sandbox_replies"

    idempotency_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Setting(CommonBase):
    """A tunable of the sandbox changed through the admin API (unset ones keep their default)."""

    __tablename__ = "sandbox_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


async def create_tables(database: Database, metadatas: Sequence[MetaData]) -> None:
    async with database.engine.begin() as connection:
        for metadata in metadatas:
            await connection.run_sync(metadata.create_all)


async def delete_all_rows(session: AsyncSession, metadatas: Sequence[MetaData]) -> None:
    """Empty every table (children first), keeping the schema."""
    for metadata in metadatas:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
