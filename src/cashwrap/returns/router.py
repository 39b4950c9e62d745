"""The returns API (CONTRACT c.4; blind returns and the refund retry are defined by cashwrap).

Writing handlers open no session: the service keeps its transactions short and clear of the
calls to the OMS and to the payment provider.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from cashwrap.api.deps import CurrentPrincipal, DatabaseDep, DbSession, OutboundHttpDep
from cashwrap.returns import service
from cashwrap.returns.schemas import (
    BlindReturnRequest,
    ReturnListResponse,
    ReturnRequest,
    ReturnResponse,
)

router = APIRouter(tags=["returns"])


@router.post(
    "/v0/d/orders/{order_id}/returns",
    status_code=201,
    response_model=ReturnResponse,
    summary="Take a return of an order (referenced or unreferenced) and refund it",
)
async def create_return(
    order_id: str,
    body: ReturnRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    response: Response,
) -> ReturnResponse:
    taken = await service.take_return(database, http, principal.tenant, order_id, body)
    response.headers["Location"] = f"/v0/d/orders/{order_id}/returns/{taken.id}"
    return taken


@router.get(
    "/v0/d/orders/{order_id}/returns",
    response_model=ReturnListResponse,
    summary="The returns of an order, oldest first",
)
async def list_returns(
    order_id: str, principal: CurrentPrincipal, session: DbSession
) -> ReturnListResponse:
    return ReturnListResponse(
        returns=await service.list_returns(session, principal.tenant, order_id)
    )


@router.get(
    "/v0/d/orders/{order_id}/returns/{return_id}",
    response_model=ReturnResponse,
    summary="One return of an order",
)
async def get_return(
    order_id: str, return_id: str, principal: CurrentPrincipal, session: DbSession
) -> ReturnResponse:
    return await service.get_return(session, principal.tenant, order_id, return_id)


@router.post(
    "/v0/d/orders/{order_id}/returns/{return_id}/refund",
    response_model=ReturnResponse,
    summary="Pay out what a return's refund still owes (after a failure or an unknown outcome)",
)
async def retry_refund(
    order_id: str,
    return_id: str,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
) -> ReturnResponse:
    return await service.retry(database, http, principal.tenant, order_id, return_id)


@router.post(
    "/v0/d/returns",
    status_code=201,
    response_model=ReturnResponse,
    summary="Take a blind return (no order), when blind returns are enabled",
)
async def create_blind_return(
    body: BlindReturnRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    response: Response,
) -> ReturnResponse:
    taken = await service.take_blind_return(database, http, principal.tenant, body)
    response.headers["Location"] = f"/v0/d/orders/{taken.return_order_id}/returns/{taken.id}"
    return taken
