"""``GET /v0/orders``: a customer's order history (Sales Orders API, c.2).

The handler opens no session: the service reads the configuration in a short transaction of
its own and asks the OMS with no transaction open.
"""

from __future__ import annotations

from fastapi import APIRouter, Header, Query, Response

from cashwrap.api.deps import CurrentPrincipal, DatabaseDep, OutboundHttpDep
from cashwrap.core.errors import InvalidInput, NotFound
from cashwrap.core.pagination import MAX_OFFSET
from cashwrap.history import service
from cashwrap.history.schemas import SalesOrderListResponse

router = APIRouter(tags=["orders"])

VERSION_2 = "application/x.newstore.orders+json;version=2"
_V2_TYPE = "application/x.newstore.orders+json"


@router.get(
    "/v0/orders",
    response_model=SalesOrderListResponse,
    response_model_exclude_none=True,
    summary="A customer's order history: the 100 newest orders, newest first",
    responses={200: {"content": {VERSION_2: {}}}},
)
async def order_history(
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    customer_id: str | None = Query(
        default=None, min_length=1, max_length=256, description="The customer's identifier"
    ),
    customer_email: str | None = Query(
        default=None,
        min_length=3,
        max_length=256,
        description="The customer's email (defined by cashwrap)",
    ),
    offset: int | None = Query(
        default=None,
        ge=0,
        le=MAX_OFFSET,
        description="Only with the version 2 media type; default 0",
    ),
    count: int | None = Query(
        default=None, ge=1, le=50, description="Only with the version 2 media type; default 10"
    ),
    accept: str | None = Header(default=None),
) -> Response:
    if customer_id is None and customer_email is None:
        raise InvalidInput("Query param 'customer_id' is required.", code="bad_request")
    if customer_id is not None and customer_email is not None:
        raise InvalidInput(
            "Give either customer_id or customer_email, not both.", code="bad_request"
        )
    paged = wants_version_2(accept)
    if not paged and (offset is not None or count is not None):
        raise InvalidInput(
            f"offset and count are only accepted with 'Accept: {VERSION_2}'",
            code="paging_requires_version_2",
        )
    history = await service.purchase_history(
        database, http, principal.tenant, customer_id=customer_id, customer_email=customer_email
    )
    headers = {"X-Order-History-Source": history.source}
    if paged:
        body = service.page(history, offset=offset or 0, count=count or 10)
        return Response(
            body.model_dump_json(exclude_none=True), media_type=VERSION_2, headers=headers
        )
    if not history.orders and history.source == "platform":
        which = "customer_id" if customer_id is not None else "customer_email"
        raise NotFound(f"customer with given {which} not found", code="customer_not_found")
    body = SalesOrderListResponse(orders=history.orders)
    return Response(
        body.model_dump_json(exclude_none=True), media_type="application/json", headers=headers
    )


def wants_version_2(accept: str | None) -> bool:
    """True when one of the accepted media ranges is the orders media type with version 2."""
    for media_range in (accept or "").split(","):
        kind, *parameters = (part.strip() for part in media_range.split(";"))
        if kind.lower() != _V2_TYPE:
            continue
        values = {
            name.strip().lower(): value.strip().strip('"')
            for name, _, value in (parameter.partition("=") for parameter in parameters)
        }
        if values.get("version") == "2":
            return True
    return False
