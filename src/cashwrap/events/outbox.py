"""Recording events in the caller's transaction (the transactional outbox).

A domain calls :func:`record` inside the transaction that changes its rows. ``record`` only adds
rows to that transaction (the event, its outbox entry, the entity's counter); it never commits
and never talks to the network. So an event exists exactly when the change that caused it was
committed: a rollback leaves no trace, and a committed event stays in ``event_outbox`` until a
dispatcher has created its deliveries, in one transaction, whatever crashes in between.

Waking the dispatchers: on PostgreSQL a statement trigger on ``event_outbox`` sends
``NOTIFY cashwrap_events`` (delivered at commit, dropped on rollback); in the process itself an
``after_commit`` hook wakes the local dispatcher. Both only shorten the wait: the dispatcher also
polls, so a lost notification delays an event by at most the poll interval.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cashwrap.core import clock, sql
from cashwrap.core.ids import new_id
from cashwrap.events.catalog import EventPayload
from cashwrap.events.models import event_entity_clocks, event_outbox, event_records

NOTIFY_CHANNEL = "cashwrap_events"
# NOTIFY payloads: "" for new outbox rows (sent by the trigger), DUE for deliveries made due by
# other means (a publication retried by hand, an integration started).
DUE = "due"
_WAKE_PENDING = "cashwrap.events.wake_pending"
_DUE_PENDING = "cashwrap.events.due_pending"

_local_wakers: list[Callable[[bool], None]] = []
_wakers_lock = threading.Lock()


async def record(
    session: AsyncSession,
    *,
    tenant: str,
    payload: EventPayload,
    entity_type: str,
    entity_id: str,
    entity_is_new: bool = False,
) -> str:
    """Record one event in the caller's transaction and return its id.

    The id is also the event's idempotency key on the wire: the same on every attempt, every
    replay and every integration. ``payload.logical_timestamp`` left at ``None`` is filled with
    the next value of the entity's counter (an upsert that holds the counter's row until the
    transaction ends, so two transactions that record events of the same entity take turns and
    get increasing values). Written as a batch of one (:func:`batched`).

    ``entity_is_new``: the entity was created in this transaction, under an id made for it (an
    order being placed): no other transaction can know it, so its counter starts at 1 and is
    inserted with the rows, without a round trip to read it back. Said of an entity that
    already has events, the counter's INSERT fails and the transaction with it.
    """
    if not tenant:
        raise ValueError("record() needs the tenant")
    if not entity_type or not entity_id:
        raise ValueError("record() needs the entity_type and the entity_id")
    deferred: list[_Deferred] | None = session.sync_session.info.get(_BATCH)
    if deferred is not None:
        return _defer(deferred, tenant, payload, entity_type, entity_id, entity_is_new)
    alone: list[_Deferred] = []
    event_id = _defer(alone, tenant, payload, entity_type, entity_id, entity_is_new)
    await _write_batch(session, alone)
    return event_id


@asynccontextmanager
async def batched(session: AsyncSession) -> AsyncIterator[None]:
    """Write the events :func:`record` records inside the block with one INSERT per table when
    the block ends (hot paths that record several events in one transaction: an order, its
    payment account).

    The rows are those one-by-one recording would write, in the same order: ``recorded_at``
    strictly increases in recording order, and each entity's counter advances once per event
    (one upsert per entity, by the number of its events, so concurrent transactions still take
    turns on it). Nothing is written when the block raises; the caller's transaction commits
    what is written. A block inside another one records into the outer one.
    """
    info = session.sync_session.info
    if _BATCH in info:
        yield
        return
    pending: list[_Deferred] = []
    info[_BATCH] = pending
    try:
        yield
    finally:
        info.pop(_BATCH, None)
    if pending:
        await _write_batch(session, pending)


@dataclass(frozen=True)
class _Deferred:
    event_id: str
    tenant: str
    payload: EventPayload
    entity_type: str
    entity_id: str
    recorded_at: datetime
    entity_is_new: bool


def _defer(
    pending: list[_Deferred],
    tenant: str,
    payload: EventPayload,
    entity_type: str,
    entity_id: str,
    entity_is_new: bool,
) -> str:
    recorded_at = clock.now()
    if pending and recorded_at <= pending[-1].recorded_at:
        # Events of one batch keep their recording order in time, as one-by-one recording has.
        recorded_at = pending[-1].recorded_at + timedelta(microseconds=1)
    event_id = new_id()
    pending.append(
        _Deferred(event_id, tenant, payload, entity_type, entity_id, recorded_at, entity_is_new)
    )
    return event_id


async def _write_batch(session: AsyncSession, pending: list[_Deferred]) -> None:
    counts: dict[tuple[str, str, str], int] = {}
    new: dict[tuple[str, str, str], int] = {}
    for item in pending:
        if item.payload.logical_timestamp is None:
            key = (item.tenant, item.entity_type, item.entity_id)
            if key in new or (item.entity_is_new and key not in counts):
                new[key] = new.get(key, 0) + 1
            else:
                counts[key] = counts.get(key, 0) + 1
    next_value: dict[tuple[str, str, str], int] = dict.fromkeys(new, 1)
    if counts:
        # One upsert for every entity of the batch, each counter advanced by its events (in
        # key order, so that concurrent transactions lock the counters in the same order).
        keys = sorted(counts)
        values: dict[str, Any] = {}
        for index, (tenant, entity_type, entity_id) in enumerate(keys):
            values[f"tenant_{index}"] = tenant
            values[f"entity_type_{index}"] = entity_type
            values[f"entity_id_{index}"] = entity_id
            values[f"value_{index}"] = counts[(tenant, entity_type, entity_id)]
        advance = _advance(session.get_bind().dialect.name == "postgresql", len(keys))
        for tenant, entity_type, entity_id, value in await sql.fetch(session, advance, values):
            key = (tenant, entity_type, entity_id)
            next_value[key] = int(value) - counts[key] + 1
    events: list[dict[str, Any]] = []
    queued: list[dict[str, Any]] = []
    for item in pending:
        logical_timestamp = item.payload.logical_timestamp
        if logical_timestamp is None:
            key = (item.tenant, item.entity_type, item.entity_id)
            logical_timestamp = next_value[key]
            next_value[key] += 1
        data = item.payload.model_dump(mode="json")
        data["logical_timestamp"] = logical_timestamp
        body = encode_envelope(
            tenant=item.tenant,
            name=item.payload.name,
            published_at=clock.isoformat(item.recorded_at),
            payload=data,
            event_id=item.event_id,
            version=item.payload.version,
        )
        events.append(
            {
                "id": item.event_id,
                "tenant": item.tenant,
                "name": item.payload.name,
                "version": item.payload.version,
                "entity_type": item.entity_type,
                "entity_id": item.entity_id,
                "logical_timestamp": logical_timestamp,
                "body": body,
                "created_at": item.recorded_at,
            }
        )
        queued.append(
            {
                "event_id": item.event_id,
                "tenant": item.tenant,
                "name": item.payload.name,
                "body": body,
                "created_at": item.recorded_at,
            }
        )
    # Sent with the transaction's next statement: nothing reads them back before the commit.
    await sql.insert_later(
        session,
        _INSERT_CLOCK,
        [
            {"tenant": tenant, "entity_type": entity_type, "entity_id": entity_id, "value": value}
            for (tenant, entity_type, entity_id), value in new.items()
        ],
    )
    await sql.insert_later(session, _INSERT_EVENT, events)
    await sql.insert_later(session, _INSERT_OUTBOX, queued)
    wake_local_dispatchers_on_commit(session)


def encode_envelope(
    *,
    tenant: str,
    name: str,
    published_at: str,
    payload: dict[str, Any],
    event_id: str,
    version: int,
) -> str:
    """The body POSTed for an event, serialized once and stored as it will be sent."""
    envelope = {
        "tenant": tenant,
        "name": name,
        "published_at": published_at,
        "payload": payload,
        "idempotency_key": event_id,
        "event_id": event_id,
        "payload_version": version,
    }
    return orjson.dumps(envelope).decode()


@functools.cache
def _advance(postgres: bool, count: int) -> sql.Statement:
    """``INSERT … VALUES`` (``count`` entities) ``ON CONFLICT DO UPDATE SET value = value +
    excluded.value RETURNING`` each entity's new value; one statement per dialect and count."""
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    upsert = dialect_insert(event_entity_clocks).values(
        [
            {
                "tenant": bindparam(f"tenant_{index}"),
                "entity_type": bindparam(f"entity_type_{index}"),
                "entity_id": bindparam(f"entity_id_{index}"),
                "value": bindparam(f"value_{index}"),
            }
            for index in range(count)
        ]
    )
    return sql.Statement(
        upsert.on_conflict_do_update(
            index_elements=["tenant", "entity_type", "entity_id"],
            set_={"value": event_entity_clocks.c.value + upsert.excluded.value},
        ).returning(
            event_entity_clocks.c.tenant,
            event_entity_clocks.c.entity_type,
            event_entity_clocks.c.entity_id,
            event_entity_clocks.c.value,
        )
    )


# Built once: constructing a statement per call costs more Python time than executing it.
_INSERT_EVENT = sql.Statement(insert(event_records))
_INSERT_OUTBOX = sql.Statement(insert(event_outbox))
_INSERT_CLOCK = sql.Statement(insert(event_entity_clocks))
_BATCH = "cashwrap.events.batch"


async def notify_dispatchers(session: AsyncSession) -> None:
    """Wake every dispatcher when the caller's transaction commits (new work that is not an
    outbox row: a retried publication, a started integration)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": NOTIFY_CHANNEL, "payload": DUE},
        )
    wake_local_dispatchers_on_commit(session, due=True)


def wake_local_dispatchers_on_commit(session: AsyncSession, *, due: bool = False) -> None:
    info = session.sync_session.info
    if due:
        info[_DUE_PENDING] = True
    info[_WAKE_PENDING] = True


@event.listens_for(Session, "after_commit")
def _after_commit(sync_session: Session) -> None:
    # One listener for every session (registering one per transaction cost more than the
    # rest of this module's work on the hot paths); sessions that recorded nothing pass.
    if sync_session.info.pop(_WAKE_PENDING, None) is None:
        return
    due = bool(sync_session.info.pop(_DUE_PENDING, False))
    with _wakers_lock:
        wakers = list(_local_wakers)
    for wake in wakers:
        wake(due)


def add_local_waker(wake: Callable[[bool], None]) -> None:
    """Register a callable run after every commit that recorded events in this process, with
    ``True`` when deliveries were made due otherwise. It may be called from any thread: it must
    be thread-safe (``loop.call_soon_threadsafe``)."""
    with _wakers_lock:
        _local_wakers.append(wake)


def remove_local_waker(wake: Callable[[bool], None]) -> None:
    with _wakers_lock:
        if wake in _local_wakers:
            _local_wakers.remove(wake)
