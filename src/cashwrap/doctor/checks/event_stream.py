"""The event stream: an integration is running and delivering.

The external OMS learns about every order only through the stream, so a tenant without a running
integration, or with one whose oldest waiting event is getting old, has orders that the OMS
never sees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.doctor.checks.base import Check, CheckContext, CheckResult, failed, passed, warned
from cashwrap.events import integrations, monitoring
from cashwrap.events.schemas import PublicationQuery

BASE = "/api/v1/org/integrations/eventstream"
MAX_LAG_SECONDS = 60.0


async def event_stream_delivering(context: CheckContext) -> CheckResult:
    async def read(session: AsyncSession, tenant: str) -> list[dict[str, Any]]:
        found = []
        for integration in await integrations.list_all(session, tenant):
            if integration["status"] != "running":
                continue
            stats = await monitoring.stats(session, tenant, integration["id"])
            failures = await monitoring.publications(
                session, tenant, integration["id"], PublicationQuery(status="failure", count=1)
            )
            stats["last_failure"] = failures["events"][0] if failures["events"] else None
            found.append(stats)
        return found

    async with context.database.transaction() as session:
        running = await read(session, context.tenant)
    if not running:
        return failed(
            "no event-stream integration is running: the external OMS receives no order",
            f'POST {BASE} {{"id": "external-oms", "callback_parameters": {{"callback_url": '
            f'"https://<oms>/events", "api_key": "<key>"}}}} (or POST {BASE}/<id>/_start)',
        )
    late = [s for s in running if s["lag_seconds"] > MAX_LAG_SECONDS]
    if late:
        worst = max(late, key=lambda s: s["lag_seconds"])
        failure = worst["last_failure"] or {}
        return failed(
            f"integration {worst['id']!r} is not delivering: its oldest waiting event is "
            f"{worst['lag_seconds']:.0f} s old ({worst['deliveries']['pending']} pending; "
            f"last error: {failure.get('last_error') or failure.get('last_status_code')})",
            f"make the callback answer 2xx (GET {BASE}/{worst['id']}/publications?status=failure"
            " shows each attempt), and run `cashwrap serve` or `cashwrap worker`",
        )
    given_up = [
        s for s in running if s["deliveries"]["rejected"] or s["deliveries"]["dead_lettered"]
    ]
    summary = ", ".join(
        f"{s['id']} ({s['deliveries']['delivered']} delivered, lag {s['lag_seconds']:.1f} s)"
        for s in running
    )
    if given_up:
        first = given_up[0]
        return warned(
            f"running and delivering: {summary}; but {first['id']!r} has "
            f"{first['deliveries']['rejected']} rejected and "
            f"{first['deliveries']['dead_lettered']} dead-lettered events",
            f"GET {BASE}/{first['id']}/publications?status=failure, fix the receiver, then "
            f"POST {BASE}/{first['id']}/publications/<publication_id>/_retry",
        )
    return passed(f"running and delivering: {summary}")


EVENT_STREAM = Check(
    "event_stream_delivering",
    "An event-stream integration is running and delivering",
    event_stream_delivering,
)
