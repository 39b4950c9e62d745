"""Event-stream integrations (NewStore's name for a subscription to the event stream).

Invariants:

* at most :data:`MAX_INTEGRATIONS` per tenant, counting stopped and temporary ones;
* an integration ``id`` is unique per tenant; deleting it frees the id, and its deliveries and
  attempt logs go with it;
* registering starts it; ``_stop`` pauses it: its deliveries keep being created and wait, and
  ``_start`` sends them all;
* ``starts_at`` in the past replays the recorded events from then on; ``ends_at`` makes the
  integration temporary: it receives exactly the events recorded in ``[starts_at, ends_at]``
  and stops itself (``stopped_reason: completed``) once they are all delivered or given up.

The signing secret (``whsec_…``) is returned once, by the registration; the API key is never
returned whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.core.ids import new_id
from cashwrap.events import filters, policy
from cashwrap.events.models import Integration, integrations
from cashwrap.events.outbox import notify_dispatchers
from cashwrap.events.schemas import IntegrationRequest

MAX_INTEGRATIONS = 25


async def register(
    session: AsyncSession, tenant: str, request: IntegrationRequest
) -> dict[str, Any]:
    """Create and start an integration; the answer carries its signing secret (shown once)."""
    integration_type = request.integration_type or (
        "temporary" if request.ends_at is not None else "permanent"
    )
    problems = filters.validate(request.filter_conditions)
    if request.s3_parameters is not None:
        problems.append(
            "s3_parameters: delivery to S3 buckets is not supported; use callback_parameters"
        )
    if request.callback_parameters is None and request.s3_parameters is None:
        problems.append("callback_parameters: required (callback_url and optional api_key)")
    if integration_type == "temporary" and (request.starts_at is None or request.ends_at is None):
        problems.append("a temporary integration needs starts_at and ends_at (its replay window)")
    if integration_type == "permanent" and request.ends_at is not None:
        problems.append("ends_at: only a temporary integration has an end")
    if request.starts_at and request.ends_at and request.ends_at <= request.starts_at:
        problems.append("ends_at: must be after starts_at")
    if problems:
        raise InvalidInput("; ".join(problems), code="invalid_integration", messages=problems)
    assert request.callback_parameters is not None

    count = await session.scalar(
        select(func.count()).select_from(integrations).where(integrations.c.tenant == tenant)
    )
    if (count or 0) >= MAX_INTEGRATIONS:
        raise Conflict(
            f"A tenant has at most {MAX_INTEGRATIONS} integrations (stopped and temporary ones "
            "count too); delete one first",
            code="integration_limit_reached",
        )
    if await _find(session, tenant, request.id) is not None:
        raise Conflict(f"Integration {request.id!r} already exists", code="integration_exists")

    now = clock.now()
    starts_at = clock.as_utc(request.starts_at) if request.starts_at else None
    ends_at = clock.as_utc(request.ends_at) if request.ends_at else None
    replay_pending = starts_at is not None and starts_at < now
    replay_until = min(ends_at, now) if ends_at is not None else now
    secret = policy.new_signing_secret()
    try:
        await session.execute(
            insert(integrations).values(
                pk=new_id(),
                tenant=tenant,
                integration_id=request.id,
                status="running",
                status_reason=None,
                integration_type=integration_type,
                starts_at=starts_at,
                ends_at=ends_at,
                callback_url=request.callback_parameters.callback_url,
                api_key=request.callback_parameters.api_key,
                signing_secret=secret,
                filter_conditions=request.filter_conditions or None,
                replay_pending=replay_pending,
                replay_until=replay_until if replay_pending else None,
                replay_cursor_at=None,
                replay_cursor_id=None,
                created_at=now,
                updated_at=now,
            )
        )
    except IntegrityError:
        raise Conflict(
            f"Integration {request.id!r} already exists", code="integration_exists"
        ) from None
    await notify_dispatchers(session)
    created = await get(session, tenant, request.id)
    created["signing_secret"] = secret
    return created


async def list_all(session: AsyncSession, tenant: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Integration).where(Integration.tenant == tenant).order_by(Integration.created_at)
    )
    return [present(row) for row in rows]


async def get(session: AsyncSession, tenant: str, integration_id: str) -> dict[str, Any]:
    return present(await require(session, tenant, integration_id))


async def start(session: AsyncSession, tenant: str, integration_id: str) -> dict[str, Any]:
    """Run a stopped integration; every delivery that waited is sent. Idempotent."""
    return await _set_status(session, tenant, integration_id, "running", None)


async def stop(session: AsyncSession, tenant: str, integration_id: str) -> dict[str, Any]:
    """Pause an integration: nothing more is sent (deliveries already in flight may land), its
    deliveries keep accumulating until it is started. Idempotent."""
    return await _set_status(session, tenant, integration_id, "stopped", "requested")


async def remove(session: AsyncSession, tenant: str, integration_id: str) -> dict[str, Any]:
    """Delete an integration with its deliveries and attempt logs."""
    row = await require(session, tenant, integration_id)
    shown = present(row)
    await session.execute(delete(integrations).where(integrations.c.pk == row.pk))
    return shown


async def require(session: AsyncSession, tenant: str, integration_id: str) -> Integration:
    row = await _find(session, tenant, integration_id)
    if row is None:
        raise NotFound(
            f"No event-stream integration {integration_id!r}", code="integration_not_found"
        )
    return row


async def _find(session: AsyncSession, tenant: str, integration_id: str) -> Integration | None:
    result: Integration | None = await session.scalar(
        select(Integration).where(
            Integration.tenant == tenant, Integration.integration_id == integration_id
        )
    )
    return result


async def _set_status(
    session: AsyncSession, tenant: str, integration_id: str, status: str, reason: str | None
) -> dict[str, Any]:
    row = await require(session, tenant, integration_id)
    if row.status != status:
        await session.execute(
            update(integrations)
            .where(integrations.c.pk == row.pk)
            .values(status=status, status_reason=reason, updated_at=clock.now())
        )
        await notify_dispatchers(session)
        await session.refresh(row)
    return present(row)


def present(row: Integration) -> dict[str, Any]:
    """The integration as the API shows it (NewStore's fields, then cashwrap's)."""
    shown: dict[str, Any] = {
        "id": row.integration_id,
        "status": row.status,
        "integration_type": row.integration_type,
    }
    if row.starts_at is not None:
        shown["starts_at"] = _time(row.starts_at)
    if row.ends_at is not None:
        shown["ends_at"] = _time(row.ends_at)
    callback: dict[str, Any] = {"callback_url": row.callback_url}
    if row.api_key:
        callback["api_key"] = mask(row.api_key)
    shown["callback_parameters"] = callback
    if row.filter_conditions:
        shown["filter_conditions"] = row.filter_conditions
    if row.status == "stopped" and row.status_reason:
        shown["stopped_reason"] = row.status_reason
    shown["replaying"] = bool(row.replay_pending)
    shown["created_at"] = _time(row.created_at)
    shown["updated_at"] = _time(row.updated_at)
    return shown


def mask(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    return "…" + secret[-4:] if len(secret) > 8 else "…"


def _time(moment: datetime) -> str:
    return clock.isoformat(clock.as_utc(moment))
