"""The Sales Orders API's order read (c.2)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from cashwrap.api.deps import CurrentPrincipal, DatabaseDep, DbSession, OutboundHttpDep
from cashwrap.history import service as history
from cashwrap.orders import cancellation, service, views
from cashwrap.orders.schemas import (
    PaymentRelease,
    SalesOrderCancellationRequest,
    SalesOrderCancellationResponse,
    SalesOrderCancellationResult,
    SalesOrderDetailResponse,
)
from cashwrap.payments import service as payments

IdType = Literal["internal", "external"]
ID_TYPE_DESCRIPTION = "internal: the platform's UUID; external: the order number"

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
    database: DatabaseDep,
    http: OutboundHttpDep,
    id_type: Literal["internal", "external"] = Query(
        description="internal: the platform's UUID; external: the order number"
    ),
) -> SalesOrderDetailResponse | Response:
    if id_type == "internal":
        record = await service.get_order(session, principal.tenant, order_id=id)
        # NewStore: with the internal id type the payment history is left empty.
        payment_history: list[payments.HistoryEntry] | None = None
    else:
        # With the external order webhook in use the OMS answers (c.2), with no session open.
        external = await history.order_details(database, http, principal.tenant, id)
        if external is not None:
            body = external.model_dump_json(exclude_none=True)
            return Response(body, media_type="application/json")
        record = await service.get_order(session, principal.tenant, external_id=id)
        payment_history = await payments.payment_history(session, principal.tenant, record.id)
    return views.sales_order(record, payment_history=payment_history)


@router.get(
    "/v0/orders/{id}/cancel",
    response_model=SalesOrderCancellationResponse,
    summary="Cancellation status of an order (as documented by NewStore)",
)
async def show_cancellation_status(
    id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    id_type: IdType = Query(description=ID_TYPE_DESCRIPTION),
) -> SalesOrderCancellationResponse:
    status = await cancellation.cancellation_status(session, principal.tenant, id, id_type)
    return SalesOrderCancellationResponse(
        cancelable=status.cancelable, canceled=status.canceled, is_safe=status.is_safe
    )


@router.post(
    "/v0/orders/{id}/cancel",
    response_model=SalesOrderCancellationResult,
    response_model_exclude_none=True,
    summary="Cancel an order, with a reason (as documented by NewStore)",
)
async def create_cancellation(
    id: str,
    body: SalesOrderCancellationRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    id_type: IdType = Query(description=ID_TYPE_DESCRIPTION),
) -> SalesOrderCancellationResult:
    done = await cancellation.cancel_order(
        database,
        http,
        principal.tenant,
        reference=id,
        id_type=id_type,
        reason=body.reason,
        note=body.note,
    )
    return _cancellation_result(done)


@router.post(
    "/v0/orders/{id}/items/{item_uuid}/cancel",
    response_model=SalesOrderCancellationResult,
    response_model_exclude_none=True,
    summary="Cancel one item of an order, with a reason (as documented by NewStore)",
)
async def create_line_item_cancellation(
    id: str,
    item_uuid: str,
    body: SalesOrderCancellationRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    id_type: IdType = Query(description=ID_TYPE_DESCRIPTION),
) -> SalesOrderCancellationResult:
    done = await cancellation.cancel_item(
        database,
        http,
        principal.tenant,
        reference=id,
        id_type=id_type,
        item_id=item_uuid,
        reason=body.reason,
    )
    return _cancellation_result(done)


def _cancellation_result(done: cancellation.Cancellation) -> SalesOrderCancellationResult:
    return SalesOrderCancellationResult(
        cancelable=done.status.cancelable,
        canceled=done.status.canceled,
        is_safe=done.status.is_safe,
        payment_release=(
            PaymentRelease(**done.release.as_json()) if done.release is not None else None
        ),
    )
