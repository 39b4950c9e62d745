"""The dispatcher's periodic work: replay windows, self-stopping temporary integrations, gauges.

Each function is one short transaction and safe to run from any number of workers at once
(integrations being replayed are taken with ``SKIP LOCKED``; the rest is idempotent).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.events import metrics
from cashwrap.events.filters import EventFilter
from cashwrap.events.models import deliveries, event_outbox, event_records, integrations
from cashwrap.events.policy import DeliveryState
from cashwrap.events.repository import insert_ignoring_duplicates

REPLAY_CHUNK = 1000
AUTO_STOP_GRACE_SECONDS = 2.0


async def replay_step(engine: AsyncEngine) -> bool:
    """Create the deliveries of one chunk of an integration's replay window.

    The window's events that were committed before the integration are found here, walking
    ``(created_at, id)``; every event committed after it is fanned out to it by the outbox
    path. An event committed while the walk runs is seen by both, and the unique
    (integration, event) constraint keeps one delivery.
    """
    now = clock.now()
    async with engine.begin() as conn:
        integration = (
            await conn.execute(
                select(integrations)
                .where(integrations.c.replay_pending.is_(True))
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if integration is None:
            return False
        e = event_records.c
        conditions = [e.tenant == integration.tenant]
        if integration.starts_at is not None:
            conditions.append(e.created_at >= integration.starts_at)
        if integration.replay_until is not None:
            conditions.append(e.created_at <= integration.replay_until)
        if integration.replay_cursor_at is not None:
            conditions.append(
                or_(
                    e.created_at > integration.replay_cursor_at,
                    and_(
                        e.created_at == integration.replay_cursor_at,
                        e.id > integration.replay_cursor_id,
                    ),
                )
            )
        chunk = (
            await conn.execute(
                select(e.id, e.name, e.created_at)
                .where(*conditions)
                .order_by(e.created_at, e.id)
                .limit(REPLAY_CHUNK)
            )
        ).all()
        accepts = EventFilter.parse(integration.filter_conditions).accepts
        rows = [
            {
                "id": new_id(),
                "tenant": integration.tenant,
                "integration_pk": integration.pk,
                "event_id": event.id,
                "state": DeliveryState.PENDING.value,
                "due_at": now,
                "attempts": 0,
                "claimed_by": None,
                "claimed_until": None,
                "created_at": now,
            }
            for event in chunk
            if accepts(event.name)
        ]
        if rows:
            await insert_ignoring_duplicates(conn, rows)
        values: dict[str, Any] = {"updated_at": now}
        if chunk:
            values["replay_cursor_at"] = chunk[-1].created_at
            values["replay_cursor_id"] = chunk[-1].id
        if len(chunk) < REPLAY_CHUNK:
            values["replay_pending"] = False
        await conn.execute(
            update(integrations).where(integrations.c.pk == integration.pk).values(**values)
        )
    return bool(rows) or len(chunk) == REPLAY_CHUNK


async def stop_finished_temporary_integrations(engine: AsyncEngine) -> None:
    now = clock.now()
    i = integrations.c
    pending = exists().where(
        deliveries.c.integration_pk == i.pk,
        deliveries.c.state == DeliveryState.PENDING.value,
    )
    unfanned = exists().where(
        event_outbox.c.tenant == i.tenant, event_outbox.c.created_at <= i.ends_at
    )
    async with engine.begin() as conn:
        await conn.execute(
            update(integrations)
            .where(
                i.status == "running",
                i.integration_type == "temporary",
                i.replay_pending.is_(False),
                i.ends_at <= now - timedelta(seconds=AUTO_STOP_GRACE_SECONDS),
                ~pending,
                ~unfanned,
            )
            .values(status="stopped", status_reason="completed", updated_at=now)
        )


async def refresh_gauges(engine: AsyncEngine) -> None:
    now = clock.now()
    d = deliveries.c
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    integrations.c.tenant,
                    integrations.c.integration_id,
                    func.count(d.id),
                    func.min(d.created_at),
                )
                .join(integrations, integrations.c.pk == d.integration_pk)
                .where(d.state == DeliveryState.PENDING.value)
                .group_by(integrations.c.tenant, integrations.c.integration_id)
            )
        ).all()
    metrics.PENDING.clear()
    metrics.OLDEST_PENDING.clear()
    for tenant, integration_id, count, oldest in rows:
        metrics.PENDING.labels(tenant, integration_id).set(count)
        age = (now - clock.as_utc(oldest)).total_seconds() if oldest is not None else 0.0
        metrics.OLDEST_PENDING.labels(tenant, integration_id).set(max(age, 0.0))
