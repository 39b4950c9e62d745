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

import threading
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cashwrap.core import clock
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
) -> str:
    """Record one event in the caller's transaction and return its id.

    The id is also the event's idempotency key on the wire: the same on every attempt, every
    replay and every integration. ``payload.logical_timestamp`` left at ``None`` is filled with
    the next value of the entity's counter (an upsert that holds the counter's row until the
    transaction ends, so two transactions that record events of the same entity take turns and
    get increasing values). Nothing is flushed through the ORM: three Core statements.
    """
    if not tenant:
        raise ValueError("record() needs the tenant")
    if not entity_type or not entity_id:
        raise ValueError("record() needs the entity_type and the entity_id")
    event_id = new_id()
    recorded_at = clock.now()
    logical_timestamp = payload.logical_timestamp
    if logical_timestamp is None:
        logical_timestamp = await _next_logical_timestamp(session, tenant, entity_type, entity_id)
    data = payload.model_dump(mode="json")
    data["logical_timestamp"] = logical_timestamp
    body = encode_envelope(
        tenant=tenant,
        name=payload.name,
        published_at=clock.isoformat(recorded_at),
        payload=data,
        event_id=event_id,
        version=payload.version,
    )
    await session.execute(
        _INSERT_EVENT,
        {
            "id": event_id,
            "tenant": tenant,
            "name": payload.name,
            "version": payload.version,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "logical_timestamp": logical_timestamp,
            "body": body,
            "created_at": recorded_at,
        },
    )
    await session.execute(
        _INSERT_OUTBOX,
        {
            "event_id": event_id,
            "tenant": tenant,
            "name": payload.name,
            "body": body,
            "created_at": recorded_at,
        },
    )
    wake_local_dispatchers_on_commit(session)
    return event_id


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


async def _next_logical_timestamp(
    session: AsyncSession, tenant: str, entity_type: str, entity_id: str
) -> int:
    statement = _TICK[session.get_bind().dialect.name == "postgresql"]
    result = await session.execute(
        statement, {"tenant": tenant, "entity_type": entity_type, "entity_id": entity_id}
    )
    return int(result.scalar_one())


def _tick_statement(dialect_insert: Any) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value``."""
    return (
        dialect_insert(event_entity_clocks)
        .values(
            tenant=bindparam("tenant"),
            entity_type=bindparam("entity_type"),
            entity_id=bindparam("entity_id"),
            value=1,
        )
        .on_conflict_do_update(
            index_elements=["tenant", "entity_type", "entity_id"],
            set_={"value": event_entity_clocks.c.value + 1},
        )
        .returning(event_entity_clocks.c.value)
    )


# Built once: constructing a statement per call costs more Python time than executing it.
_INSERT_EVENT = insert(event_records)
_INSERT_OUTBOX = insert(event_outbox)
_TICK = {False: _tick_statement(sqlite.insert), True: _tick_statement(postgresql.insert)}


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
    sync_session = session.sync_session
    if due:
        sync_session.info[_DUE_PENDING] = True
    if sync_session.info.get(_WAKE_PENDING):
        return
    sync_session.info[_WAKE_PENDING] = True
    event.listen(sync_session, "after_commit", _after_commit, once=True)


def _after_commit(sync_session: Session) -> None:
    sync_session.info.pop(_WAKE_PENDING, None)
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
