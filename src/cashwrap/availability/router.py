"""``POST /v0/availability`` (ATP) and ``POST /v0/availability/cart`` (the cart evaluation).

Neither handler opens a session: the services receive the Database and keep their
transactions short and clear of the call to the OMS.

ATP sits on the checkout's hot path, so its answer is serialized once, with orjson, instead of
being validated again against the response model.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson
from fastapi import APIRouter, Response

from cashwrap.api.deps import AppSettings, CurrentPrincipal, DatabaseDep, OutboundHttpDep
from cashwrap.availability import service
from cashwrap.availability.schemas import (
    AvailabilityRequest,
    AvailabilityResponse,
    CartRequest,
    CartResponse,
)

router = APIRouter(tags=["availability"])


@router.post(
    "/v0/availability",
    response_model=AvailabilityResponse,
    summary="ATP of products at fulfillment locations (external OMS or stock)",
)
async def availability(
    body: AvailabilityRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
    settings: AppSettings,
) -> Response:
    result = await service.atp(
        database,
        http,
        principal.tenant,
        [product.product_id for product in body.products],
        body.fulfillment_locations,
        config_max_age=settings.atp_config_cache_seconds,
    )
    payload = {"availabilities": [asdict(entry) for entry in result.availabilities]}
    return Response(orjson.dumps(payload), media_type="application/json")


@router.post(
    "/v0/availability/cart",
    response_model=CartResponse,
    summary='Can this cart ship? ("Products not available" evaluation)',
)
async def cart_availability(
    body: CartRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    http: OutboundHttpDep,
) -> dict[str, Any]:
    evaluation = await service.evaluate_cart(
        database,
        http,
        principal.tenant,
        [service.CartLine(line.product_id, line.quantity) for line in body.lines],
        service_level=body.service_level,
        destination=service.Destination(body.destination.country, body.destination.zip_code),
    )
    return {
        "available": evaluation.available,
        "source": evaluation.source,
        "reason": evaluation.reason,
        "route_nodes": list(evaluation.route_nodes),
        "lines": [
            {
                "line": line.line,
                "product_id": line.product_id,
                "quantity": line.quantity,
                "fulfillment_node_id": line.fulfillment_node_id,
                "allocations": [asdict(allocation) for allocation in line.allocations],
            }
            for line in evaluation.lines
        ],
        "shipments": [asdict(shipment) for shipment in evaluation.shipments],
        "problems": [asdict(problem) for problem in evaluation.problems],
    }
