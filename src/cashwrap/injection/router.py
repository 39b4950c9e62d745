"""Order injection: ``POST /v0/d/fulfill_order`` (c.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cashwrap.api.deps import AppSettings, CurrentPrincipal, DatabaseDep, OutboundHttpDep
from cashwrap.core.errors import RateLimited
from cashwrap.injection import service
from cashwrap.injection.schemas import InjectedOrderRequest, InjectedOrderResponse

router = APIRouter(tags=["order injection"])


def _limiter(request: Request, rate: float, burst: int) -> service.TokenBuckets:
    state = request.app.state
    limiter: service.TokenBuckets | None = getattr(state, "injection_limiter", None)
    if limiter is None or (limiter.rate, limiter.burst) != (rate, max(1, burst)):
        limiter = service.TokenBuckets(rate, burst)
        state.injection_limiter = limiter
    return limiter


_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": InjectedOrderRequest.model_json_schema()}},
    }
}


@router.post(
    "/v0/d/fulfill_order",
    response_model=InjectedOrderResponse,
    summary="Inject an order placed in the external OMS (as documented by NewStore)",
    openapi_extra=_BODY,
    responses={
        400: {"description": "Invalid order (error_code names the rule)"},
        429: {"description": "Too many requests for the tenant (Retry-After)"},
        500: {"description": "shipping_provider_communication_error: retry the same payload"},
    },
)
async def fulfill_order(
    request: Request,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    settings: AppSettings,
) -> Response:
    limiter = _limiter(
        request, settings.injection_rate_limit_per_second, settings.injection_rate_limit_burst
    )
    wait = limiter.take(principal.tenant)
    if wait is not None:
        raise RateLimited(
            f"more than {settings.injection_rate_limit_per_second:g} order injections per "
            "second for this tenant; retry later",
            retry_after=wait,
        )
    raw = await request.body()
    order = service.parse(raw)
    body = await service.inject(
        database,
        http,
        principal.tenant,
        order,
        service.fingerprint(raw),
        soft_limit=settings.injection_big_order_soft_limit,
        config_max_age=settings.injection_config_cache_seconds,
    )
    return Response(body, media_type="application/json")
