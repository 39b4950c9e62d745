"""``/checkout/carts`` (NewStore's cart API); the checkout and the hand-over (defined by
cashwrap)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from cashwrap.api import problems
from cashwrap.api.deps import (
    AppSettings,
    CurrentPrincipal,
    DatabaseDep,
    DbSession,
    OutboundHttpDep,
)
from cashwrap.checkout import service
from cashwrap.checkout.schemas import (
    AddItemRequestBody,
    CartResource,
    ChangeCartRequestBody,
    ChangeItemRequestBody,
    CheckoutRequest,
    CheckoutResponse,
    CreateCartRequestBody,
    HandoverResponse,
    MessagesResponse,
    ShippingOptionsResponse,
)

router = APIRouter(tags=["checkout"])

NEWSTORE = "as documented by NewStore"
CASHWRAP = "defined by cashwrap"


@router.post(
    "/checkout/carts",
    status_code=201,
    response_model=CartResource,
    response_model_exclude_none=True,
    summary=f"Create a cart ({NEWSTORE})",
)
async def create_cart(
    body: CreateCartRequestBody,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    settings: AppSettings,
) -> Response:
    record, shipping = await service.create_cart(
        database, principal.tenant, body, config_max_age=settings.checkout_config_cache_seconds
    )
    return _cart(record, shipping, 201, {"Location": f"/checkout/carts/{record.id}"})


@router.get(
    "/checkout/carts/{cart_id}",
    response_model=CartResource,
    response_model_exclude_none=True,
    summary=f"Show a cart ({NEWSTORE})",
)
async def show_cart(cart_id: str, principal: CurrentPrincipal, session: DbSession) -> Response:
    record = await service.load(session, principal.tenant, cart_id)
    shipping = await service.shipping_price(session, principal.tenant, record)
    return _cart(record, shipping)


@router.patch(
    "/checkout/carts/{cart_id}",
    response_model=CartResource,
    response_model_exclude_none=True,
    summary=f"Change a cart ({NEWSTORE}; members other than customer_id {CASHWRAP})",
)
async def update_cart(
    cart_id: str, body: ChangeCartRequestBody, principal: CurrentPrincipal, session: DbSession
) -> Response:
    record = await service.update_cart(session, principal.tenant, cart_id, body)
    shipping = await service.shipping_price(session, principal.tenant, record)
    await session.commit()
    return _cart(record, shipping)


@router.post(
    "/checkout/carts/{cart_id}/items",
    status_code=201,
    response_model=MessagesResponse,
    summary=f"Add a line item ({NEWSTORE})",
)
async def add_item(
    cart_id: str,
    body: AddItemRequestBody,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    line_id = await service.add_item(
        session,
        principal.tenant,
        cart_id,
        body,
        config_max_age=settings.checkout_config_cache_seconds,
    )
    await session.commit()
    return Response(
        MessagesResponse(id=line_id).model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/checkout/carts/{cart_id}/items/{line_id}"},
    )


@router.patch(
    "/checkout/carts/{cart_id}/items/{line_item_id}",
    response_model=MessagesResponse,
    response_model_exclude_none=True,
    summary=f"Change a line item ({NEWSTORE})",
)
async def change_item(
    cart_id: str,
    line_item_id: str,
    body: ChangeItemRequestBody,
    principal: CurrentPrincipal,
    session: DbSession,
) -> MessagesResponse:
    await service.change_item(session, principal.tenant, cart_id, line_item_id, body)
    await session.commit()
    return MessagesResponse()


@router.delete(
    "/checkout/carts/{cart_id}/items/{line_item_id}",
    response_model=MessagesResponse,
    response_model_exclude_none=True,
    summary=f"Remove a line item ({NEWSTORE})",
)
async def remove_item(
    cart_id: str, line_item_id: str, principal: CurrentPrincipal, session: DbSession
) -> MessagesResponse:
    await service.remove_item(session, principal.tenant, cart_id, line_item_id)
    await session.commit()
    return MessagesResponse()


@router.get(
    "/checkout/carts/{cart_id}/shipping_options",
    response_model=ShippingOptionsResponse,
    response_model_exclude_none=True,
    summary=f"Shipping options and planned shipments of a cart ({CASHWRAP})",
)
async def shipping_options(
    cart_id: str,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    country: str | None = Query(default=None, pattern=r"^[A-Za-z]{2}$"),
    zip_code: str | None = Query(default=None, min_length=1, max_length=32),
) -> ShippingOptionsResponse:
    return await service.shipping_options(
        database, http, principal.tenant, cart_id, country=country, zip_code=zip_code
    )


@router.post(
    "/checkout/carts/{cart_id}/checkout",
    status_code=201,
    response_model=CheckoutResponse,
    summary=f"Pay and place the order ({CASHWRAP}); Idempotency-Key required",
)
async def checkout(
    cart_id: str,
    body: CheckoutRequest,
    request: Request,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    settings: AppSettings,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> Response:
    answer = await service.checkout(
        database,
        http,
        principal.tenant,
        cart_id=cart_id,
        idempotency_key=idempotency_key or "",
        request=body,
        config_max_age=settings.checkout_config_cache_seconds,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    if answer.problem is not None:
        stored = answer.problem
        return problems.problem_response(
            status=answer.status,
            error_code=stored["error_code"],
            message=stored["message"],
            messages=stored["messages"],
            instance=request.url.path,
            headers={**stored.get("headers", {}), **headers},
            extra=stored.get("extra"),
        )
    assert answer.body is not None
    headers["Location"] = f"/v0/orders/{answer.body['order_id']}?id_type=internal"
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _cart(
    record: service.CartRecord,
    shipping: int,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The cart serialized once (the response model is for the OpenAPI description)."""
    body = service.view(record, shipping).model_dump_json(by_alias=True, exclude_none=True)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


@router.post(
    "/v0/orders/{id}/handover",
    response_model=HandoverResponse,
    summary=f"Hand the taken items over to the customer ({CASHWRAP})",
)
async def hand_over(
    id: str,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    id_type: Literal["internal", "external"] = Query(
        description="internal: the platform's UUID; external: the order number"
    ),
) -> HandoverResponse:
    return await service.hand_over(database, http, principal.tenant, reference=id, id_type=id_type)
