"""The sandbox carrier: shipping offers, book, cancel, tracking.

Offers are stored with a token that a booking names as ``offer``; a token expires after the
``offer_ttl_seconds`` setting, except an in-store pickup offer, which never does (documented).
A booking answers a tracking code and **label data** (the tracking code as a Code 128 barcode
value, a routing code): the platform renders its own PDF label from it. Bookings honour an
``Idempotency-Key`` header (cashwrap's addition: the documented contract has no idempotency on
booking, so the platform's client does not count on it). Tracking moves through
``booked → picked_up → in_transit → out_for_delivery → delivered`` (or ``exception``), driven by
the admin API or, when set, by the ``auto_pickup_seconds`` / ``auto_deliver_seconds`` settings.

Per request, without dialing: a consumer ``zip_code`` of ``00000`` is an address the carrier
cannot serve (422 ``address_invalid``) for offers and bookings.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import Field
from sqlalchemy import select

from cashwrap.core import clock, money
from cashwrap.core.ids import new_id, new_secret
from cashwrap.sandbox.carrier import schemas
from cashwrap.sandbox.carrier.models import CarrierBase, Offer, Shipment, TrackingEvent
from cashwrap.sandbox.common.app import (
    ADMIN_PREFIX,
    DEFAULT_API_KEY,
    Answer,
    Call,
    CurrentSandbox,
    Operation,
    Sandbox,
    SandboxSpec,
    SettingSpec,
    create_sandbox_app,
    key_in_header,
    ok,
    require_admin,
)
from cashwrap.sandbox.common.problems import SandboxProblem

UNSERVED_ZIP_CODE = "00000"
Seconds = Annotated[int, Field(ge=0, le=30 * 86_400)]
STAGES = ("booked", "picked_up", "in_transit", "out_for_delivery", "delivered")
FINAL = frozenset({"delivered", "cancelled"})
DESCRIPTIONS = {
    "booked": "Shipment booked, label issued",
    "picked_up": "Handed over to the carrier",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "exception": "Delivery exception",
    "cancelled": "Shipment cancelled",
}


@dataclass(frozen=True)
class Rate:
    rate: str
    carrier_code: str
    shipping_type: str
    price: Decimal
    delivery_time: str


RATES = (
    Rate("SBX_GROUND", "SANDBOX", "traditional_carrier", Decimal("5.00"), "3-5 business days"),
    Rate("SBX_EXPRESS", "SANDBOX", "traditional_carrier", Decimal("15.00"), "1-2 business days"),
    Rate("SBX_SAME_DAY", "SANDBOX", "same_day_delivery", Decimal("25.00"), "same day"),
    Rate("IN_STORE_PICKUP", "STORE", "in_store_pick_up", Decimal("0"), "ready for pickup"),
)

SPEC = SandboxSpec(
    name="carrier",
    title="shipping provider (carrier)",
    operations=(
        Operation("shipping_offers", "quote shipping offers for a shipment", ("address_invalid",)),
        Operation(
            "book_shipment",
            "book a shipment: tracking code and label",
            ("booking_rejected", "address_invalid"),
        ),
        Operation("cancel_shipment", "cancel a booked shipment", ("not_cancellable",)),
        Operation("get_shipment", "tracking status and events of a shipment"),
    ),
    settings=(
        SettingSpec("offer_ttl_seconds", Seconds, 900, "how long an offer token can be booked"),
        SettingSpec(
            "auto_pickup_seconds", Seconds | None, None, "report picked_up this long after booking"
        ),
        SettingSpec(
            "auto_deliver_seconds", Seconds | None, None, "report delivered this long after booking"
        ),
    ),
    metadata=CarrierBase.metadata,
)

router = APIRouter(tags=["shipping provider"])
admin = APIRouter(
    prefix=ADMIN_PREFIX, tags=["sandbox admin"], dependencies=[Depends(require_admin)]
)


@router.post("/shipping_offers")
async def shipping_offers(request: Request, sandbox: CurrentSandbox) -> Response:
    """Offers for one shipment, each with a token to book it by."""
    return await sandbox.serve(request, "shipping_offers", _offers)


@router.post("/shipments")
async def book_shipment(request: Request, sandbox: CurrentSandbox) -> Response:
    """Book a shipment: tracking code and label data (201)."""
    return await sandbox.serve(request, "book_shipment", _book, idempotency=key_in_header())


@router.post("/shipments/{shipment_id}/cancel")
async def cancel_shipment(shipment_id: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """Cancel a shipment the carrier has not picked up yet; cancelling twice is not an error."""
    return await sandbox.serve(
        request,
        "cancel_shipment",
        lambda call: _cancel(call, shipment_id),
        idempotency=key_in_header(),
    )


@router.get("/shipments/{shipment_id}")
async def get_shipment(shipment_id: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """Tracking status and events (``picked_up`` confirms the handover, ``delivered`` delivery)."""
    return await sandbox.serve(request, "get_shipment", lambda call: _read(call, shipment_id))


@admin.post("/shipments/{shipment_id}/events")
async def add_tracking_event(
    shipment_id: str, update: schemas.TrackingUpdate, sandbox: CurrentSandbox
) -> dict[str, Any]:
    """Move a shipment along its tracking stages, as the carrier's scans would."""
    async with sandbox.transaction() as session:
        shipment = await session.get(Shipment, shipment_id, with_for_update=True)
        if shipment is None:
            raise SandboxProblem(404, "not_found", f"no shipment {shipment_id!r}")
        events = await _events(session, shipment_id)
        if shipment.status in FINAL:
            raise SandboxProblem(
                409, "invalid_transition", f"the shipment is already {shipment.status}"
            )
        reached = max(STAGES.index(e.status) for e in events if e.status in STAGES)
        if update.status != "exception" and STAGES.index(update.status) <= reached:
            raise SandboxProblem(
                409,
                "invalid_transition",
                f"the shipment is already past {update.status} ({STAGES[reached]})",
            )
        session.add(_event(shipment, update.status, clock.now(), update.description))
        shipment.status = update.status
        await session.flush()
        return _view(shipment, await _events(session, shipment_id))


async def _offers(call: Call) -> Answer:
    body = call.parse(schemas.ShippingOffersRequest)
    _check_served(call, body.consumer_address)
    now = clock.now()
    ttl = await call.setting("offer_ttl_seconds")
    made = []
    for rate in RATES:
        if rate.shipping_type != body.shipping_type or body.rate not in (None, rate.rate):
            continue
        never = rate.shipping_type == "in_store_pick_up"
        offer = Offer(
            token=f"off_{new_secret(24)}",
            rate=rate.rate,
            carrier_code=rate.carrier_code,
            service_level=body.service_level,
            shipping_type=rate.shipping_type,
            price=money.to_minor(rate.price, body.currency),
            currency=body.currency,
            fulfillment_node_id=body.fulfillment_node_id,
            expires_at=None if never else now + timedelta(seconds=ttl),
            created_at=now,
        )
        call.session.add(offer)
        made.append(_offer_view(offer, rate))
    return ok({"shipping_offers": made})


async def _book(call: Call) -> Answer:
    body = call.parse(schemas.BookShipment)
    _check_served(call, body.consumer_address)
    if call.decline is not None:
        raise call.declined()
    now = clock.now()
    if body.offer is not None:
        offer = await call.session.get(Offer, body.offer)
        if offer is None:
            raise SandboxProblem(400, "invalid_offer", "offer: not an offer of this carrier")
        if offer.expires_at is not None and clock.as_utc(offer.expires_at) <= now:
            raise SandboxProblem(
                409,
                "offer_expired",
                f"offer: expired at {clock.isoformat(clock.as_utc(offer.expires_at))}",
            )
        if (offer.rate, offer.carrier_code) != (body.rate, body.carrier_code):
            raise SandboxProblem(
                400,
                "offer_mismatch",
                f"rate/carrier_code: the offer is {offer.rate}/{offer.carrier_code}",
            )
        price, currency, service_level = offer.price, offer.currency, offer.service_level
    else:
        rate = next((r for r in RATES if r.rate == body.rate), None)
        if rate is None or rate.carrier_code != body.carrier_code:
            raise SandboxProblem(
                400,
                "unknown_rate",
                f"rate: {body.rate}/{body.carrier_code} is not a rate of this carrier",
            )
        price, currency, service_level = money.to_minor(rate.price, "USD"), "USD", None
    address = body.consumer_address
    shipment = Shipment(
        shipment_id=new_id(),
        tracking_code=_tracking_code(),
        return_tracking_code=_tracking_code()
        if body.booking_method == "shipping_and_return"
        else None,
        status="booked",
        rate=body.rate,
        carrier_code=body.carrier_code,
        service_level=service_level,
        booking_method=body.booking_method,
        external_order_id=body.external_order_id,
        fulfillment_node_id=body.fulfillment_node_id,
        offer=body.offer,
        price=price,
        currency=currency,
        routing_code=f"{address.country}-{(address.zip_code or '000')[:3]}",
        booking=body.model_dump(mode="json"),
        booked_at=now,
    )
    call.session.add(shipment)
    event = _event(shipment, "booked", now)
    call.session.add(event)
    await call.session.flush()
    return ok(_view(shipment, [event]), status=201)


async def _cancel(call: Call, shipment_id: str) -> Answer:
    if call.body is not None:
        call.parse(schemas.CancelShipment)
    shipment = await _shipment(call, shipment_id)
    if call.decline is not None:
        raise call.declined()
    if shipment.status == "cancelled":
        return ok(_view(shipment, await _events(call.session, shipment_id)))
    if shipment.status != "booked":
        raise SandboxProblem(
            409,
            "not_cancellable",
            f"the shipment is {shipment.status}: only a booked shipment can be cancelled",
        )
    shipment.status = "cancelled"
    call.session.add(_event(shipment, "cancelled", clock.now()))
    await call.session.flush()
    return ok(_view(shipment, await _events(call.session, shipment_id)))


async def _read(call: Call, shipment_id: str) -> Answer:
    shipment = await _shipment(call, shipment_id)
    return ok(_view(shipment, await _events(call.session, shipment_id)))


async def _shipment(call: Call, shipment_id: str) -> Shipment:
    """The shipment, with the automatic tracking stages that are due applied."""
    shipment = await call.session.get(Shipment, shipment_id, with_for_update=True)
    if shipment is None:
        raise SandboxProblem(404, "not_found", f"no shipment {shipment_id!r}")
    booked_at = clock.as_utc(shipment.booked_at)
    now = clock.now()
    for status, setting in (
        ("picked_up", "auto_pickup_seconds"),
        ("delivered", "auto_deliver_seconds"),
    ):
        seconds = await call.setting(setting)
        due = booked_at + timedelta(seconds=seconds) if seconds is not None else None
        if due is None or due > now or shipment.status not in STAGES:
            continue
        if STAGES.index(status) > STAGES.index(shipment.status):
            call.session.add(_event(shipment, status, due))
            shipment.status = status
    await call.session.flush()
    return shipment


def _check_served(call: Call, address: schemas.Address) -> None:
    if call.decline is not None and call.decline.error_code == "address_invalid":
        raise call.declined()
    if address.zip_code == UNSERVED_ZIP_CODE:
        raise SandboxProblem(
            422, "address_invalid", "consumer_address: the carrier does not serve this address"
        )


def _tracking_code() -> str:
    return f"SBX{secrets.randbelow(10**12):012d}"


def _event(
    shipment: Shipment, status: str, at: datetime, description: str | None = None
) -> TrackingEvent:
    return TrackingEvent(
        shipment_id=shipment.shipment_id,
        status=status,
        description=description or DESCRIPTIONS[status],
        happened_at=at,
    )


async def _events(session: Any, shipment_id: str) -> list[TrackingEvent]:
    rows = await session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.shipment_id == shipment_id)
        .order_by(TrackingEvent.id)
    )
    return list(rows.all())


def _offer_view(offer: Offer, rate: Rate) -> dict[str, Any]:
    return {
        "offer": offer.token,
        "rate": offer.rate,
        "carrier_code": offer.carrier_code,
        "service_level": offer.service_level,
        "shipping_type": offer.shipping_type,
        "price": money.to_wire(offer.price, offer.currency),
        "currency": offer.currency,
        "delivery_time": rate.delivery_time,
        "expires_at": clock.isoformat(offer.expires_at) if offer.expires_at else None,
    }


def _label(shipment: Shipment, tracking_code: str) -> dict[str, Any]:
    return {
        "format": "data",
        "tracking_code": tracking_code,
        "barcode_value": tracking_code,
        "barcode_symbology": "code128",
        "routing_code": shipment.routing_code,
        "carrier_code": shipment.carrier_code,
        "rate": shipment.rate,
        "document_url": None,
    }


def _view(shipment: Shipment, events: list[TrackingEvent]) -> dict[str, Any]:
    delivered = next((e for e in events if e.status == "delivered"), None)
    picked_up = next((e for e in events if e.status == "picked_up"), None)
    return {
        "shipment_id": shipment.shipment_id,
        "status": shipment.status,
        "tracking_code": shipment.tracking_code,
        "return_tracking_code": shipment.return_tracking_code,
        "carrier_code": shipment.carrier_code,
        "rate": shipment.rate,
        "service_level": shipment.service_level,
        "booking_method": shipment.booking_method,
        "external_order_id": shipment.external_order_id,
        "fulfillment_node_id": shipment.fulfillment_node_id,
        "price": money.to_wire(shipment.price, shipment.currency),
        "currency": shipment.currency,
        "label": _label(shipment, shipment.tracking_code),
        "return_label": _label(shipment, shipment.return_tracking_code)
        if shipment.return_tracking_code
        else None,
        "booked_at": clock.isoformat(clock.as_utc(shipment.booked_at)),
        "picked_up_at": _at(picked_up),
        "delivered_at": _at(delivered),
        "events": [
            {
                "status": event.status,
                "description": event.description,
                "happened_at": clock.isoformat(clock.as_utc(event.happened_at)),
            }
            for event in events
        ],
    }


def _at(event: TrackingEvent | None) -> str | None:
    return clock.isoformat(clock.as_utc(event.happened_at)) if event is not None else None


def create_app(*, database_url: str, api_key: str = DEFAULT_API_KEY) -> FastAPI:
    """The sandbox carrier as an ASGI app over its own database (tables created at start-up)."""
    sandbox = Sandbox(SPEC, database_url=database_url, api_key=api_key)
    return create_sandbox_app(sandbox, [router, admin])
