"""Event stream APIs: integrations (NewStore's paths), monitoring and schemas (cashwrap's)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from cashwrap.api.deps import CurrentPrincipal, DbSession
from cashwrap.core.clock import Moment
from cashwrap.core.errors import NotFound
from cashwrap.core.pagination import MAX_OFFSET
from cashwrap.events import catalog, integrations, monitoring
from cashwrap.events.schemas import IntegrationRequest, PublicationQuery

router = APIRouter(tags=["event stream"])
BASE = "/api/v1/org/integrations/eventstream"


@router.get(BASE, summary="List the integrations (as documented by NewStore)")
async def list_integrations(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    return {"integrations": await integrations.list_all(session, principal.tenant)}


@router.post(BASE, summary="Register an integration; it starts at once (as documented by NewStore)")
async def register_integration(
    body: IntegrationRequest, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    created = await integrations.register(session, principal.tenant, body)
    await session.commit()
    return created


@router.get(BASE + "/{integration_id}", summary="One integration")
async def get_integration(
    integration_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await integrations.get(session, principal.tenant, integration_id)


@router.delete(BASE + "/{integration_id}", summary="Delete an integration, its logs and events")
async def delete_integration(
    integration_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    deleted = await integrations.remove(session, principal.tenant, integration_id)
    await session.commit()
    return deleted


@router.post(BASE + "/{integration_id}/_start", summary="Start (resume) an integration")
async def start_integration(
    integration_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    started = await integrations.start(session, principal.tenant, integration_id)
    await session.commit()
    return started


@router.post(BASE + "/{integration_id}/_stop", summary="Stop (pause) an integration")
async def stop_integration(
    integration_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    stopped = await integrations.stop(session, principal.tenant, integration_id)
    await session.commit()
    return stopped


@router.get(
    BASE + "/{integration_id}/publications",
    summary="Publication attempts of an integration, newest event first (defined by cashwrap)",
)
async def list_publications(
    integration_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    from_: Moment | None = Query(default=None, alias="from"),
    to: Moment | None = None,
    event_name: str | None = None,
    status: Literal["success", "failure", "pending", "delivered", "rejected", "dead_lettered"]
    | None = None,
    domain_entity_id: str | None = None,
    domain_entity_type: str | None = None,
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    count: int = Query(default=50, ge=1, le=monitoring.MAX_COUNT),
) -> dict[str, Any]:
    query = PublicationQuery(
        from_=from_,
        to=to,
        event_name=event_name,
        status=status,
        domain_entity_id=domain_entity_id,
        domain_entity_type=domain_entity_type,
        offset=offset,
        count=count,
    )
    return await monitoring.publications(session, principal.tenant, integration_id, query)


@router.get(
    BASE + "/{integration_id}/publications/{publication_id}",
    summary="One publication: the event as sent and every attempt (defined by cashwrap)",
)
async def get_publication(
    integration_id: str, publication_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await monitoring.publication(session, principal.tenant, integration_id, publication_id)


@router.post(
    BASE + "/{integration_id}/publications/{publication_id}/_retry",
    summary="Send one publication again now (defined by cashwrap)",
)
async def retry_publication(
    integration_id: str, publication_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    retried = await monitoring.retry(session, principal.tenant, integration_id, publication_id)
    await session.commit()
    return retried


@router.get(
    BASE + "/{integration_id}/stats",
    summary="Deliveries per state and the current lag (defined by cashwrap)",
)
async def integration_stats(
    integration_id: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await monitoring.stats(session, principal.tenant, integration_id)


@router.get("/v0/event-stream/schemas", summary="JSON Schemas of every event (defined by cashwrap)")
async def event_schemas() -> dict[str, Any]:
    return {
        "envelope": catalog.envelope_schema(),
        "events": [
            {
                "name": model.name,
                "version": model.version,
                "domain_entity_type": model.entity_type,
                "description": model.description,
                "schema": catalog.json_schema(model),
            }
            for model in catalog.PAYLOADS
        ],
    }


@router.get(
    "/v0/event-stream/schemas/{name}", summary="JSON Schema of one event's payload (cashwrap)"
)
async def event_schema(name: str) -> dict[str, Any]:
    model = catalog.payload_model(name)
    if model is None:
        raise NotFound(
            f"No event named {name!r}; GET /v0/event-stream/schemas lists them",
            code="event_not_found",
        )
    return catalog.json_schema(model)
