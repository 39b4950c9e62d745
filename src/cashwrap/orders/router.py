"""The Sales Orders API's order read (c.2)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from cashwrap.api.deps import CurrentPrincipal, DbSession
from cashwrap.orders import service, views
from cashwrap.orders.schemas import SalesOrderDetailResponse

router = APIRouter(tags=["orders"])


@router.get(
    "/v0/orders/{id}",
    response_model=SalesOrderDetailResponse,
    response_model_exclude_none=True,
    summary="Get an order by its platform id (internal) or its order number (external)",
)
async def get_sales_order(
    id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    id_type: Literal["internal", "external"] = Query(
        description="internal: the platform's UUID; external: the order number"
    ),
) -> SalesOrderDetailResponse:
    if id_type == "internal":
        record = await service.get_order(session, principal.tenant, order_id=id)
    else:
        record = await service.get_order(session, principal.tenant, external_id=id)
    return views.sales_order(record)
