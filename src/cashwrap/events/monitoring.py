"""What happened to an integration's events: publications, their attempts, and retrying one.

A *publication* is the delivery of one event to one integration (``publication_id`` is the
delivery's id). Its ``status`` answers NewStore's filter values: ``success`` (delivered),
``failure`` (rejected, dead-lettered, or pending after a failed attempt) and ``pending`` (not yet
attempted); ``delivery_status`` gives cashwrap's precise state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.events.integrations import require
from cashwrap.events.models import deliveries, delivery_attempts, event_records
from cashwrap.events.outbox import notify_dispatchers
from cashwrap.events.policy import DeliveryState
from cashwrap.events.schemas import PublicationQuery

MAX_COUNT = 500


async def publications(
    session: AsyncSession, tenant: str, integration_id: str, query: PublicationQuery
) -> dict[str, Any]:
    if not 1 <= query.count <= MAX_COUNT or query.offset < 0:
        raise InvalidInput(
            f"count must be 1-{MAX_COUNT} and offset 0 or more", code="invalid_pagination"
        )
    integration = await require(session, tenant, integration_id)
    d, e = deliveries.c, event_records.c
    conditions: list[Any] = [d.integration_pk == integration.pk]
    if query.from_ is not None:
        conditions.append(e.created_at >= clock.as_utc(query.from_))
    if query.to is not None:
        conditions.append(e.created_at <= clock.as_utc(query.to))
    if query.event_name:
        conditions.append(e.name == query.event_name)
    if query.domain_entity_id:
        conditions.append(e.entity_id == query.domain_entity_id)
    if query.domain_entity_type:
        conditions.append(e.entity_type == query.domain_entity_type)
    if query.status == "success":
        conditions.append(d.state == DeliveryState.DELIVERED.value)
    elif query.status == "failure":
        conditions.append(
            or_(
                d.state.in_([DeliveryState.REJECTED.value, DeliveryState.DEAD_LETTERED.value]),
                and_(d.state == DeliveryState.PENDING.value, d.attempts > 0),
            )
        )
    elif query.status == "pending":
        conditions.append(and_(d.state == DeliveryState.PENDING.value, d.attempts == 0))
    elif query.status is not None:
        conditions.append(d.state == query.status)
    rows = await session.execute(
        select(*_columns())
        .join(event_records, e.id == d.event_id)
        .where(*conditions)
        .order_by(e.created_at.desc(), e.id.desc())
        .offset(query.offset)
        .limit(query.count)
    )
    return {
        "events": [_publication(row._mapping) for row in rows],
        "offset": query.offset,
        "count": query.count,
    }


async def publication(
    session: AsyncSession, tenant: str, integration_id: str, publication_id: str
) -> dict[str, Any]:
    """One publication with the event as sent and every attempt, newest first."""
    integration = await require(session, tenant, integration_id)
    row = (
        await session.execute(
            select(*_columns(), event_records.c.body)
            .join(event_records, event_records.c.id == deliveries.c.event_id)
            .where(deliveries.c.id == publication_id, deliveries.c.integration_pk == integration.pk)
        )
    ).first()
    if row is None:
        raise NotFound(f"No publication {publication_id!r}", code="publication_not_found")
    shown = _publication(row._mapping)
    shown["event"] = orjson.loads(row.body)
    a = delivery_attempts.c
    attempts = await session.execute(
        select(a.attempted_at, a.duration_ms, a.status_code, a.outcome, a.error, a.response_body)
        .where(a.delivery_id == publication_id)
        .order_by(a.attempted_at.desc())
    )
    shown["attempts"] = [
        {
            "attempted_at": _time(attempt.attempted_at),
            "duration_ms": attempt.duration_ms,
            "status_code": attempt.status_code,
            "outcome": attempt.outcome,
            "error": attempt.error,
            "response_body": attempt.response_body,
        }
        for attempt in attempts
    ]
    return shown


async def retry(
    session: AsyncSession, tenant: str, integration_id: str, publication_id: str
) -> dict[str, Any]:
    """Send one publication again now, whatever its state, with a fresh retry horizon.

    Refused (409) while a worker holds it in flight. A delivered publication is sent again:
    the receiver sees the same idempotency key.
    """
    integration = await require(session, tenant, integration_id)
    now = clock.now()
    d = deliveries.c
    result = await session.execute(
        update(deliveries)
        .where(
            d.id == publication_id,
            d.integration_pk == integration.pk,
            or_(d.claimed_until.is_(None), d.claimed_until < now),
        )
        .values(
            state=DeliveryState.PENDING.value,
            due_at=now,
            first_attempt_at=None,
            claimed_by=None,
            claimed_until=None,
        )
        .returning(d.id)
    )
    if result.first() is None:
        exists = await session.scalar(
            select(d.id).where(d.id == publication_id, d.integration_pk == integration.pk)
        )
        if exists is None:
            raise NotFound(f"No publication {publication_id!r}", code="publication_not_found")
        raise Conflict(
            "The publication is being delivered right now; look again in a moment",
            code="publication_in_flight",
        )
    await notify_dispatchers(session)
    return await publication(session, tenant, integration_id, publication_id)


async def stats(session: AsyncSession, tenant: str, integration_id: str) -> dict[str, Any]:
    """Counts per delivery state, the oldest waiting event and the last delivery."""
    integration = await require(session, tenant, integration_id)
    d = deliveries.c
    counts = {state.value: 0 for state in DeliveryState}
    rows = await session.execute(
        select(d.state, func.count()).where(d.integration_pk == integration.pk).group_by(d.state)
    )
    for state, count in rows:
        counts[state] = count
    oldest = await session.scalar(
        select(func.min(event_records.c.created_at))
        .select_from(deliveries)
        .join(event_records, event_records.c.id == d.event_id)
        .where(d.integration_pk == integration.pk, d.state == DeliveryState.PENDING.value)
    )
    last = await session.scalar(
        select(func.max(d.delivered_at)).where(d.integration_pk == integration.pk)
    )
    now = clock.now()
    return {
        "id": integration.integration_id,
        "status": integration.status,
        "deliveries": counts,
        "oldest_pending_at": _time(oldest) if oldest else None,
        "lag_seconds": round((now - clock.as_utc(oldest)).total_seconds(), 3) if oldest else 0.0,
        "last_delivered_at": _time(last) if last else None,
        "replaying": bool(integration.replay_pending),
    }


def _columns() -> list[Any]:
    d, e = deliveries.c, event_records.c
    return [
        d.id,
        d.event_id,
        d.state,
        d.attempts,
        d.due_at,
        d.first_attempt_at,
        d.last_attempt_at,
        d.delivered_at,
        d.last_status_code,
        d.last_error,
        e.name,
        e.entity_type,
        e.entity_id,
        e.logical_timestamp,
        e.created_at,
    ]


def _publication(row: Any) -> dict[str, Any]:
    state = row["state"]
    if state == DeliveryState.DELIVERED.value:
        status = "success"
    elif state == DeliveryState.PENDING.value and row["attempts"] == 0:
        status = "pending"
    else:
        status = "failure"
    return {
        "publication_id": row["id"],
        "event_id": row["event_id"],
        "event_name": row["name"],
        "domain_entity_type": row["entity_type"],
        "domain_entity_id": row["entity_id"],
        "logical_timestamp": row["logical_timestamp"],
        "status": status,
        "delivery_status": state,
        "attempts": row["attempts"],
        "created_at": _time(row["created_at"]),
        "first_attempt_at": _time(row["first_attempt_at"]),
        "last_attempt_at": _time(row["last_attempt_at"]),
        "delivered_at": _time(row["delivered_at"]),
        "next_attempt_at": _time(row["due_at"]) if state == DeliveryState.PENDING.value else None,
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
    }


def _time(moment: datetime | None) -> str | None:
    return clock.isoformat(clock.as_utc(moment)) if moment is not None else None
