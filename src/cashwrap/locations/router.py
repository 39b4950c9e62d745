"""Stores, fulfillment locations, stock insights and the Reservations API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response

from cashwrap.api.deps import CurrentPrincipal, DbSession
from cashwrap.core import clock
from cashwrap.core.pagination import MAX_OFFSET
from cashwrap.locations import service
from cashwrap.locations.models import FulfillmentLocation
from cashwrap.locations.schemas import (
    AtpInsights,
    CreateReservationRequest,
    Location,
    LocationList,
    ReservationConfig,
    ReservationConfigUpdate,
    ReservationDetails,
    ReservationItemUpdate,
    ReservationList,
    ReservationUpdate,
    Store,
    StoreList,
    StoreUpdate,
)
from cashwrap.locations.service.reservations import ReservationView, ReservedUnit

router = APIRouter()


# --- stores and locations ------------------------------------------------------------------


def _store(location: FulfillmentLocation, *, cashboxes: bool) -> dict[str, Any]:
    return {
        "id": location.store_id,
        "tenant": location.tenant,
        "country_code": location.country_code or "",
        "description": location.description,
        "multi_cashbox": False,
        "config": {
            "timezone": location.timezone or "UTC",
            "report_types": [],
            "auto_report_types": [],
        },
        "cashboxes": [] if cashboxes else None,
        "fulfillment_node_id": location.fulfillment_node_id,
    }


def _location(location: FulfillmentLocation) -> dict[str, Any]:
    return {
        "fulfillment_node_id": location.fulfillment_node_id,
        "type": "store" if location.store_id else "warehouse",
        "store_id": location.store_id,
        "country_code": location.country_code,
        "description": location.description,
        "timezone": location.timezone,
        "created_at": clock.as_utc(location.created_at),
        "created_by_import": location.created_by_import,
    }


@router.get(
    "/stores",
    tags=["stores"],
    response_model=StoreList,
    response_model_exclude_none=True,
    summary="List stores (the locations a store mapping made stores)",
)
async def list_stores(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)],
    start_at: str | None = None,
    include_cashboxes: bool = False,
    country_codes: Annotated[list[str] | None, Query(max_length=251)] = None,
) -> dict[str, Any]:
    rows, next_key = await service.list_stores(
        session, principal.tenant, limit=limit, start_at=start_at, country_codes=country_codes or []
    )
    return {
        "items": [_store(row, cashboxes=include_cashboxes) for row in rows],
        "next_page_key": next_key,
    }


@router.get(
    "/stores/{store_id}",
    tags=["stores"],
    response_model=Store,
    response_model_exclude_none=True,
    summary="A store",
)
async def show_store(
    store_id: str, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    return _store(await service.get_store(session, principal.tenant, store_id), cashboxes=False)


@router.patch(
    "/stores/{store_id}",
    tags=["stores"],
    response_model=Store,
    response_model_exclude_none=True,
    summary="Update a store's country, description or time zone",
)
async def update_store(
    store_id: str, body: StoreUpdate, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    location = await service.update_store(
        session,
        principal.tenant,
        store_id,
        country_code=body.country_code,
        description=body.description,
        timezone=body.config.timezone if body.config else None,
    )
    result = _store(location, cashboxes=False)
    await session.commit()
    return result


@router.get(
    "/v0/fulfillment_locations",
    tags=["stores"],
    response_model=LocationList,
    summary="Every fulfillment location the platform knows",
)
async def list_locations(principal: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    return {
        "items": [_location(row) for row in await service.list_locations(session, principal.tenant)]
    }


@router.get(
    "/v0/fulfillment_locations/{fulfillment_node_id}",
    tags=["stores"],
    response_model=Location,
    summary="A fulfillment location",
)
async def show_location(
    fulfillment_node_id: str, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    return _location(await service.get_location(session, principal.tenant, fulfillment_node_id))


# --- stock -----------------------------------------------------------------------------------


@router.get(
    "/v0/stock/insights",
    tags=["stock"],
    response_model=AtpInsights,
    summary="Allocations and reservations of a product at a fulfillment node",
)
async def stock_insights(
    principal: CurrentPrincipal,
    session: DbSession,
    product_id: Annotated[str, Query(min_length=1, max_length=255)],
    fulfillment_node_id: Annotated[str, Query(min_length=1, max_length=128)],
) -> dict[str, Any]:
    return await service.insights(session, principal.tenant, product_id, fulfillment_node_id)


# --- reservations ----------------------------------------------------------------------------


def _details(view: ReservationView) -> dict[str, Any]:
    reservation = view.reservation
    return {
        "id": reservation.id,
        "associate_id": reservation.associate_id,
        "customer_profile_id": reservation.customer_profile_id,
        "created_at": clock.as_utc(reservation.created_at),
        "updated_at": clock.as_utc(reservation.updated_at),
        "expires_at": clock.as_utc(reservation.expires_at),
        "external_id": reservation.external_id or reservation.display_id,
        "display_id": reservation.display_id,
        "location_id": reservation.location_id,
        "status": reservation.status,
        "items": [
            {
                "id": item.id,
                "product_id": item.product_id,
                "status": item.status,
                "cart_id": item.cart_id,
                "updated_at": clock.as_utc(item.updated_at),
            }
            for item in view.items
        ],
    }


def _summary(view: ReservationView) -> dict[str, Any]:
    details = _details(view)
    details.pop("updated_at")
    details["items"] = [{"id": item.id, "product_id": item.product_id} for item in view.items]
    details["reserved_item_count"] = view.reserved_item_count
    return details


@router.post(
    "/inventory/reservations",
    tags=["reservations"],
    status_code=201,
    response_model=ReservationDetails,
    summary="Create a reservation (one unit per item)",
)
async def create_reservation(
    body: CreateReservationRequest,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> dict[str, Any]:
    view, created = await service.create_reservation(
        session,
        principal.tenant,
        location_id=body.location_id,
        items=[ReservedUnit(item.product_id) for item in body.items],
        idempotency_key=idempotency_key,
        customer_profile_id=body.customer_profile_id,
        associate_id=body.associate_id,
        external_id=body.external_id,
        expires_in_min=body.expires_in_min,
        status=body.status,
    )
    result = _details(view)
    await session.commit()
    response.headers["Location"] = view.reservation.id
    if not created:
        response.status_code = 200
    return result


@router.get(
    "/inventory/reservations",
    tags=["reservations"],
    response_model=ReservationList,
    summary="List reservations",
)
async def list_reservations(
    principal: CurrentPrincipal,
    session: DbSession,
    location_id: str | None = None,
    status: Annotated[list[str] | None, Query(max_length=5)] = None,
    external_id: str | None = None,
    display_id: str | None = None,
    customer_profile_id: str | None = None,
    associate_id: str | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    count: Annotated[int, Query(ge=1, le=100)] = 10,
    sort: Annotated[list[str] | None, Query(max_length=2)] = None,
    expired: bool | None = None,
) -> dict[str, Any]:
    views, total, reserved = await service.list_reservations(
        session,
        principal.tenant,
        location_id=location_id,
        statuses=status or [],
        external_id=external_id,
        display_id=display_id,
        customer_profile_id=customer_profile_id,
        associate_id=associate_id,
        expired=expired,
        sort=sort or [],
        offset=offset,
        count=count,
    )
    return {
        "items": [_summary(view) for view in views],
        "pagination_info": {
            "count": len(views),
            "offset": offset,
            "total": total,
            "reserved_item_count": reserved,
        },
    }


@router.get(
    "/inventory/reservations/{reservation_id}",
    tags=["reservations"],
    response_model=ReservationDetails,
    summary="A reservation",
)
async def show_reservation(
    reservation_id: str, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    return _details(await service.get_reservation(session, principal.tenant, reservation_id))


@router.patch(
    "/inventory/reservations/{reservation_id}",
    tags=["reservations"],
    status_code=204,
    summary="Accept (RESERVED) or reject (REJECTED) a pending reservation",
)
async def update_reservation(
    reservation_id: str, body: ReservationUpdate, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await service.update_reservation_status(session, principal.tenant, reservation_id, body.status)
    await session.commit()
    return Response(status_code=204)


@router.patch(
    "/inventory/reservations/{reservation_id}/items",
    tags=["reservations"],
    status_code=204,
    summary="Convert or unreserve reservation items",
)
async def update_reservation_items(
    reservation_id: str,
    body: Annotated[list[ReservationItemUpdate], Body(min_length=1, max_length=500)],
    principal: CurrentPrincipal,
    session: DbSession,
) -> Response:
    await service.update_items(
        session,
        principal.tenant,
        reservation_id,
        [(item.id, item.status, item.cart_id) for item in body],
    )
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/inventory/config/reservations",
    tags=["reservations"],
    response_model=ReservationConfig,
    summary="Reservation configuration",
)
async def show_reservation_config(
    principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    return await service.get_config(session, principal.tenant)


@router.patch(
    "/inventory/config/reservations",
    tags=["reservations"],
    status_code=204,
    summary="Update the reservation configuration",
)
async def update_reservation_config(
    body: ReservationConfigUpdate, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await service.update_config(
        session,
        principal.tenant,
        expires_in_min=body.expires_in_min,
        send_accepted_emails=body.send_accepted_emails,
        send_rejected_emails=body.send_rejected_emails,
    )
    await session.commit()
    return Response(status_code=204)
