"""Fulfillment requests: the reference's API (c.3) and the store's work (defined by cashwrap)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Response
from fastapi.responses import JSONResponse

from cashwrap.api.deps import CurrentPrincipal, DatabaseDep, DbSession, OutboundHttpDep
from cashwrap.fulfillment import service, views
from cashwrap.fulfillment.schemas import (
    AssociateRequest,
    FailedItemsRequest,
    FulfillmentRequestItemsStatesRequest,
    HandoverRequest,
    OrderFulfillmentRequestsResponse,
    PackRequest,
    PickRequest,
    StoreFulfillmentRequestView,
    StoreQueueResponse,
)
from cashwrap.fulfillment.states import OPEN_STATUSES, RequestStatus

NEWSTORE = "as documented by NewStore"
CASHWRAP = "defined by cashwrap"
router = APIRouter(tags=["fulfillment"])
STORE = "/v0/stores/{store_id}/fulfillment_requests/{ffr_id}"


@router.get(
    "/v0/fulfillment_requests/{order_uuid}",
    response_model=OrderFulfillmentRequestsResponse,
    summary=f"Fulfillment requests of an order, earliest first ({NEWSTORE})",
    responses={400: {"description": "More than 2,000 requests: the latest 2,000, status 400"}},
)
async def list_fulfillment_requests(
    order_uuid: str, principal: CurrentPrincipal, session: DbSession
) -> Response:
    found, too_many = await service.for_order(session, principal.tenant, order_uuid)
    body = OrderFulfillmentRequestsResponse(
        fulfillment_requests=[views.reference(record) for record in found]
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=400 if too_many else 200)


@router.post(
    "/v0/fulfillment_request/{ffr_uuid}/set_items_states",
    status_code=204,
    summary=f"Mark items of a fulfillment request shipped or rejected ({NEWSTORE})",
)
async def set_items_states(
    ffr_uuid: str,
    body: FulfillmentRequestItemsStatesRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> Response:
    await service.set_items_states(
        session,
        principal.tenant,
        ffr_uuid,
        [(line.item_id.lower(), line.state) for line in body.line_items],
        carrier=body.carrier,
        tracking_code=body.tracking_code,
        associate_id=body.associate_id,
        reason=body.reason,
    )
    await session.commit()
    return Response(status_code=204)


# --- the store's work (defined by cashwrap) -----------------------------------------------------


@router.get(
    "/v0/stores/{store_id}/fulfillment_requests",
    response_model=StoreQueueResponse,
    summary=f"The store's fulfillment requests, oldest first ({CASHWRAP})",
)
async def store_queue(
    store_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    status: Annotated[
        Literal["open", "all"] | RequestStatus,
        Query(description="open (default): still to do; all; or one status"),
    ] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StoreQueueResponse:
    if status == "open":
        statuses: list[str] = sorted(OPEN_STATUSES)
    elif status == "all":
        statuses = [str(value) for value in RequestStatus]
    else:
        statuses = [str(status)]
    node_id, found = await service.store_queue(
        session, principal.tenant, store_id, statuses=statuses, limit=limit
    )
    return StoreQueueResponse(
        store_id=store_id,
        fulfillment_node_id=node_id,
        fulfillment_requests=[views.store(record) for record in found],
    )


@router.get(
    STORE,
    response_model=StoreFulfillmentRequestView,
    summary=f"One fulfillment request of the store ({CASHWRAP})",
)
async def store_request(
    store_id: str, ffr_id: str, principal: CurrentPrincipal, session: DbSession
) -> StoreFulfillmentRequestView:
    return views.store(await service.get(session, principal.tenant, ffr_id, store_id=store_id))


async def _answer(
    session: DbSession, tenant: str, store_id: str, ffr_id: str
) -> StoreFulfillmentRequestView:
    await session.commit()
    return views.store(await service.get(session, tenant, ffr_id, store_id=store_id))


@router.post(
    f"{STORE}/start",
    response_model=StoreFulfillmentRequestView,
    summary=f"An associate takes the request: dispatched → picking ({CASHWRAP})",
)
async def start(
    store_id: str,
    ffr_id: str,
    body: AssociateRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.start(session, principal.tenant, store_id, ffr_id, body.associate_id)
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/pick",
    response_model=StoreFulfillmentRequestView,
    summary=f"Items found on the shelf; all picked → picked ({CASHWRAP})",
)
async def pick(
    store_id: str,
    ffr_id: str,
    body: PickRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.pick(
        session, principal.tenant, store_id, ffr_id, body.associate_id, body.item_ids
    )
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/mispick",
    response_model=StoreFulfillmentRequestView,
    summary=f"Items not on the shelf: the order is cancelled ({CASHWRAP})",
)
async def mispick(
    store_id: str,
    ffr_id: str,
    body: FailedItemsRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.mispick(
        session, principal.tenant, store_id, ffr_id, body.associate_id, body.item_ids, body.note
    )
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/pack",
    response_model=StoreFulfillmentRequestView,
    summary=f"Pack the picked items: picked → packed ({CASHWRAP})",
)
async def pack(
    store_id: str,
    ffr_id: str,
    body: PackRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    package = body.package.model_dump(exclude_none=True) if body.package else None
    await service.pack(session, principal.tenant, store_id, ffr_id, body.associate_id, package)
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/mispack",
    response_model=StoreFulfillmentRequestView,
    summary=f"Items damaged: the order is cancelled ({CASHWRAP})",
)
async def mispack(
    store_id: str,
    ffr_id: str,
    body: FailedItemsRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.mispack(
        session, principal.tenant, store_id, ffr_id, body.associate_id, body.item_ids, body.note
    )
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/ready_for_pickup",
    response_model=StoreFulfillmentRequestView,
    summary=f"Pick-up in store: pickup label, the customer can come ({CASHWRAP})",
)
async def ready_for_pickup(
    store_id: str,
    ffr_id: str,
    body: AssociateRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.ready_for_pickup(session, principal.tenant, store_id, ffr_id, body.associate_id)
    return await _answer(session, principal.tenant, store_id, ffr_id)


@router.post(
    f"{STORE}/ship",
    response_model=StoreFulfillmentRequestView,
    summary=f"Ship from store: book the carrier, shipping label ({CASHWRAP})",
)
async def ship(
    store_id: str,
    ffr_id: str,
    body: AssociateRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.ship(database, http, principal.tenant, store_id, ffr_id, body.associate_id)
    return views.store(await service.get(session, principal.tenant, ffr_id, store_id=store_id))


@router.post(
    f"{STORE}/handover",
    response_model=StoreFulfillmentRequestView,
    summary=f"Hand over to the customer, or to the carrier once it confirms ({CASHWRAP})",
)
async def handover(
    store_id: str,
    ffr_id: str,
    body: HandoverRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    session: DbSession,
) -> StoreFulfillmentRequestView:
    await service.hand_over(
        database, http, principal.tenant, store_id, ffr_id, body.associate_id, body.pickup_code
    )
    return views.store(await service.get(session, principal.tenant, ffr_id, store_id=store_id))


@router.get(
    f"{STORE}/documents/{{name}}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary=f"A PDF: pick_list, packing_slip, shipping_label, pickup_label ({CASHWRAP})",
)
async def document(
    store_id: str, ffr_id: str, name: str, principal: CurrentPrincipal, session: DbSession
) -> Response:
    pdf = await service.document(session, principal.tenant, store_id, ffr_id, name)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}-{ffr_id}.pdf"'},
    )


@contextlib.asynccontextmanager
async def handover_confirmations_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Ask the carrier about booked shipments every ``fulfillment_handover_poll_seconds``
    (0: never; the associate's handover call still asks)."""
    every = float(app.state.settings.fulfillment_handover_poll_seconds)
    if every <= 0:
        yield
        return
    task = asyncio.create_task(
        service.run_confirmations(app.state.database, app.state.outbound_http, every)
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
