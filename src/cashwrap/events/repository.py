"""The dispatcher's queries: fan-out inserts, outcomes, and the PostgreSQL fast paths.

On PostgreSQL the hot statements go to asyncpg directly (arrays bound once, COPY for attempt
rows): SQLAlchemy's per-parameter processing cost more than the statements themselves. SQLite
uses the same statements through SQLAlchemy Core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import bindparam

from cashwrap.core import clock
from cashwrap.events.models import deliveries, delivery_attempts
from cashwrap.events.policy import DeliveryState


@dataclass
class Outcomes:
    """What a batch of attempts changes, grouped the way it is written."""

    worker: str
    delivered_by_code: dict[int | None, list[str]] = field(default_factory=dict)
    first_seen: datetime | None = None
    retried: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)


async def write_outcomes(engine: AsyncEngine, outcomes: Outcomes) -> None:
    """Write the outcomes of a batch of attempts in one transaction. Each delivery is updated
    only while this worker still holds its lease (``claimed_by``)."""
    import asyncpg

    write = _write_pg if engine.dialect.name == "postgresql" else _write_sqlite
    try:
        await write(engine, outcomes)
    except (IntegrityError, asyncpg.ForeignKeyViolationError):
        # An integration deleted while its deliveries were in flight took them along: their
        # attempts have nothing left to belong to. Write the others.
        async with engine.connect() as conn:
            wanted = {attempt["delivery_id"] for attempt in outcomes.attempts}
            existing = set(
                await conn.scalars(select(deliveries.c.id).where(deliveries.c.id.in_(wanted)))
            )
        outcomes.attempts = [a for a in outcomes.attempts if a["delivery_id"] in existing]
        await write(engine, outcomes)


async def _write_sqlite(engine: AsyncEngine, outcomes: Outcomes) -> None:
    me = outcomes.worker
    delivered_by_code, first_seen = outcomes.delivered_by_code, outcomes.first_seen
    retried, finished, deferred = outcomes.retried, outcomes.finished, outcomes.deferred
    attempts = outcomes.attempts
    d = deliveries.c
    mine = and_(d.id == bindparam("_id"), d.claimed_by == me)
    attempted = {
        "attempts": d.attempts + 1,
        "first_attempt_at": func.coalesce(d.first_attempt_at, bindparam("_at")),
        "last_attempt_at": bindparam("_at"),
        "last_status_code": bindparam("_code"),
        "last_error": bindparam("_error"),
        "claimed_by": None,
        "claimed_until": None,
    }
    async with engine.begin() as conn:
        # Acknowledged deliveries (the bulk) in one statement per status code: their
        # delivered_at is when the outcome was written (the attempt rows keep exact times).
        written_at = clock.now()
        for code, ids in delivered_by_code.items():
            await conn.execute(
                update(deliveries)
                .where(d.id.in_(ids), d.claimed_by == me)
                .values(
                    state=DeliveryState.DELIVERED.value,
                    attempts=d.attempts + 1,
                    first_attempt_at=func.coalesce(d.first_attempt_at, first_seen),
                    last_attempt_at=written_at,
                    delivered_at=written_at,
                    last_status_code=code,
                    last_error=None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
        if retried:
            await conn.execute(
                update(deliveries).where(mine).values(due_at=bindparam("_due"), **attempted),
                retried,
            )
        if finished:
            await conn.execute(
                update(deliveries).where(mine).values(state=bindparam("_state"), **attempted),
                finished,
            )
        if deferred:
            await conn.execute(
                update(deliveries)
                .where(mine)
                .values(due_at=bindparam("_due"), claimed_by=None, claimed_until=None),
                deferred,
            )
        if attempts:
            await conn.execute(insert(delivery_attempts), attempts)


async def _write_pg(engine: AsyncEngine, outcomes: Outcomes) -> None:
    """The writes of :func:`_write_sqlite`, in asyncpg directly: the acknowledged deliveries
    in one ``UPDATE … WHERE id = ANY($1)`` per status code, the attempts with COPY."""
    me = outcomes.worker
    delivered_by_code, first_seen = outcomes.delivered_by_code, outcomes.first_seen
    retried, finished, deferred = outcomes.retried, outcomes.finished, outcomes.deferred
    attempts = outcomes.attempts
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        async with raw.transaction():
            written_at = clock.now()
            for code, ids in delivered_by_code.items():
                await raw.execute(_DELIVERED_PG, ids, me, first_seen, written_at, code)
            if retried:
                await raw.executemany(
                    _RETRIED_PG,
                    [(r["_id"], me, r["_at"], r["_code"], r["_error"], r["_due"]) for r in retried],
                )
            if finished:
                await raw.executemany(
                    _FINISHED_PG,
                    [
                        (r["_id"], me, r["_at"], r["_code"], r["_error"], r["_state"])
                        for r in finished
                    ],
                )
            if deferred:
                await raw.executemany(_DEFERRED_PG, [(r["_id"], me, r["_due"]) for r in deferred])
            if attempts:
                await raw.copy_records_to_table(
                    delivery_attempts.name,
                    records=[tuple(a[c] for c in _ATTEMPT_COLUMNS) for a in attempts],
                    columns=_ATTEMPT_COLUMNS,
                )


_DELIVERY_COLUMNS = (
    "id",
    "tenant",
    "integration_pk",
    "event_id",
    "state",
    "due_at",
    "attempts",
    "claimed_by",
    "claimed_until",
    "created_at",
)
_INSERT_DELIVERIES_PG = """
    INSERT INTO event_deliveries (id, tenant, integration_pk, event_id, state, due_at, attempts,
                                  claimed_by, claimed_until, created_at)
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[],
                         $5::varchar[], $6::timestamptz[], $7::int[], $8::varchar[],
                         $9::timestamptz[], $10::timestamptz[])
    ON CONFLICT (integration_pk, event_id) DO NOTHING
    RETURNING id
"""
_DELIVERED_PG = """
    UPDATE event_deliveries
    SET state = 'delivered', attempts = attempts + 1,
        first_attempt_at = coalesce(first_attempt_at, $3), last_attempt_at = $4,
        delivered_at = $4, last_status_code = $5, last_error = NULL,
        claimed_by = NULL, claimed_until = NULL
    WHERE id = ANY($1::varchar[]) AND claimed_by = $2
"""
_RETRIED_PG = """
    UPDATE event_deliveries
    SET due_at = $6, attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $3),
        last_attempt_at = $3, last_status_code = $4, last_error = $5,
        claimed_by = NULL, claimed_until = NULL
    WHERE id = $1 AND claimed_by = $2
"""
_FINISHED_PG = """
    UPDATE event_deliveries
    SET state = $6, attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $3),
        last_attempt_at = $3, last_status_code = $4, last_error = $5,
        claimed_by = NULL, claimed_until = NULL
    WHERE id = $1 AND claimed_by = $2
"""
_DEFERRED_PG = """
    UPDATE event_deliveries SET due_at = $3, claimed_by = NULL, claimed_until = NULL
    WHERE id = $1 AND claimed_by = $2
"""
_ATTEMPT_COLUMNS = (
    "id",
    "delivery_id",
    "tenant",
    "attempted_at",
    "duration_ms",
    "status_code",
    "outcome",
    "error",
    "response_body",
    "worker",
)


def dispatcher_engine(url: str) -> AsyncEngine:
    """The dispatcher's own PostgreSQL connections, committing without waiting for the WAL flush.

    Everything the dispatcher writes can be lost in a database crash without breaking
    at-least-once delivery: PostgreSQL loses the last commits whole, never half of one, so a
    lost fan-out puts its events back in the outbox and a lost outcome or lease makes the
    delivery due again; either way the event is sent again, never dropped. The domains'
    transactions (the events themselves) keep the server's durable commits.
    """
    return create_async_engine(
        url,
        pool_size=3,
        max_overflow=3,
        connect_args={"server_settings": {"synchronous_commit": "off"}},
    )


def in_window(integration: Any, created_at: datetime) -> bool:
    if integration.starts_at is not None and created_at < clock.as_utc(integration.starts_at):
        return False
    return not (integration.ends_at is not None and created_at > clock.as_utc(integration.ends_at))


async def insert_ignoring_duplicates(conn: AsyncConnection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert deliveries, skipping (integration, event) pairs that exist; return the new ids.

    On PostgreSQL one statement over arrays (``unnest``), inside the caller's transaction (a
    statement of it has run already, so the driver's transaction is open).
    """
    statement: Any
    if conn.dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        columns = [[row[name] for row in rows] for name in _DELIVERY_COLUMNS]
        inserted = await raw.fetch(_INSERT_DELIVERIES_PG, *columns)
        return {record["id"] for record in inserted}
    statement = sqlite.insert(deliveries).on_conflict_do_nothing(
        index_elements=["integration_pk", "event_id"]
    )
    result = await conn.execute(statement.returning(deliveries.c.id), rows)
    return {row.id for row in result}
