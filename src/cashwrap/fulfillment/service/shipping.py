"""Ship from store: booking the carrier and confirming the handover — calls that leave the
platform, so each use case receives the :class:`~cashwrap.core.uow.Database` and opens short
transactions around the call, never across it.

Booking (``ship``): read what to send in one transaction; ask the shipping adapter for offers at
the request's service level and book the first (outside any transaction, with the idempotency key
``<request id>:book:<attempt>`` so that a retry after an uncertain failure books at most once
with a carrier that honours it; a refusal moves to the next attempt); then record the tracking
code and label in a second transaction. When
the carrier cannot book it — it refuses, offers nothing, or cannot be reached — an order the
external OMS routed (``routing_strategy`` ``external``) is **cancelled**, as documented
(``order.cancelled`` with reason ``shipping_booking_failed``): the OMS re-routes it. Other
orders keep the packed request and the associate retries. An answer that may or may not have
booked (a timeout) changes nothing: retry. A booking the request can no longer take (its order
was cancelled while the carrier booked) is cancelled with the carrier.

Confirming (``hand_over``): the platform asks the carrier whether it has the parcel
(``picked_up`` or later); only then is the request completed (``items_completed``,
``order.completed``). :func:`confirm_handovers` does the same for every request waiting on a
carrier, from a background task.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.core.errors import Conflict, DomainError, ExternalServiceError, InvalidTransition
from cashwrap.core.uow import Database
from cashwrap.fulfillment import repository
from cashwrap.fulfillment.service import records, work
from cashwrap.fulfillment.service.records import RequestRecord
from cashwrap.fulfillment.states import REQUEST_LIFECYCLE, Kind, RequestStatus
from cashwrap.locations import service as locations
from cashwrap.outbound.http import OutboundHttp
from cashwrap.outbound.shipping import (
    Address,
    Booked,
    Cancelled,
    Failed,
    Offers,
    Package,
    Rejected,
    ShipmentRequest,
    ShippingProviderClient,
    Tracked,
    Unknown,
)

logger = logging.getLogger("cashwrap.fulfillment")

BOOKING_FAILED = "shipping_booking_failed"
ORDER_CANCELLED = "order_cancelled"


@dataclass(frozen=True)
class _Booking:
    client: ShippingProviderClient
    shipment: ShipmentRequest
    service_level: str
    shipping_type: str
    rate_hint: str | None
    currency: str
    external_order_id: str
    routing_strategy: str


async def ship(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
) -> RequestRecord:
    """Book the carrier for a packed ship-from-store request (see the module)."""
    async with database.transaction() as session:
        record = await work.open_record(session, tenant, store_id, request_id)
        work.require_kind(record, Kind.SHIP)
        REQUEST_LIFECYCLE.check(record.status, RequestStatus.READY_FOR_HANDOVER)
        booking = await _booking(session, http, tenant, record)
    outcome = await _book(booking, f"{request_id}:book:{record.request['booking_attempt']}")
    if isinstance(outcome, Booked):
        shipment = outcome.shipment
        try:
            async with database.transaction() as session:
                return await work.booked(
                    session,
                    tenant,
                    store_id,
                    request_id,
                    associate_id,
                    carrier=shipment.carrier_code,
                    rate=shipment.rate,
                    tracking_code=shipment.tracking_code,
                    shipment_id=shipment.shipment_id,
                    label={
                        "barcode_value": shipment.label.barcode_value,
                        "barcode_symbology": shipment.label.barcode_symbology,
                        "routing_code": shipment.label.routing_code,
                        "document_url": shipment.label.document_url,
                    },
                )
        except Conflict as refused:
            # Only the request's refusal: when the database failed instead, the booking may be
            # recorded, and the retry (same key) must find it booked, not cancelled.
            await _release_unheld(
                database, booking, tenant, request_id, shipment.shipment_id, refused
            )
            raise
    if isinstance(outcome, Unknown):
        raise ExternalServiceError(
            f"the shipping provider's answer was lost ({outcome.message}); the booking may or "
            "may not exist: retry, the same booking key is sent",
            code="shipping_provider_communication_error",
        )
    message = outcome.message if not isinstance(outcome, Offers) else "no shipping offer"
    if booking.routing_strategy == "external":
        async with database.transaction() as session:
            record = await work.open_record(session, tenant, store_id, request_id)
            await work.fail(
                session,
                tenant,
                record,
                [item["item_id"] for item in record.open_items()],
                reason_code=BOOKING_FAILED,
                reason=f"The shipping provider could not book the shipment: {message}",
                note=None,
                associate_id=associate_id,
                remove_stock=False,
                status=RequestStatus.CANCELLED,
            )
        raise Conflict(
            f"the shipping provider could not book the shipment ({message}); the order was "
            "routed by the external OMS and is cancelled, as documented",
            code="shipment_booking_failed",
            extra={"order_cancelled": True, "fulfillment_request_status": "cancelled"},
        )
    if isinstance(outcome, Failed):
        raise ExternalServiceError(
            f"the shipping provider could not be reached ({message}); retry",
            code="shipping_provider_communication_error",
        )
    async with database.transaction() as session:
        # A refusal is final for this booking: the next attempt is a new booking request.
        await repository.update_request(
            session, tenant, request_id, {"booking_attempt": record.request["booking_attempt"] + 1}
        )
    raise Conflict(
        f"the shipping provider refused the shipment ({message})",
        code="shipment_booking_rejected",
        extra={"order_cancelled": False},
    )


async def _release_unheld(
    database: Database,
    booking: _Booking,
    tenant: str,
    request_id: str,
    shipment_id: str,
    refused: Conflict,
) -> None:
    """Cancel a booking the request could not take (its order was cancelled, or it moved on
    while the carrier booked): nobody would ship it, yet the carrier would bill its label. A
    booking the request holds — the same shipment, booked by a call sent twice with the same
    key — is kept."""
    async with database.transaction() as session:
        row = await repository.request_row(session, tenant, request_id)
    if row is not None and row["shipment_id"] == shipment_id:
        return
    outcome = await booking.client.cancel(
        shipment_id, reason=f"the fulfillment request could not take it: {refused.error_code}"
    )
    if not isinstance(outcome, Cancelled):
        # The label stays booked at the carrier: someone must cancel it there.
        logger.error(
            "a shipment booked for a request that cannot take it could not be cancelled",
            extra={"request_id": request_id, "shipment_id": shipment_id, "outcome": outcome},
        )


async def _booking(
    session: AsyncSession, http: OutboundHttp, tenant: str, record: RequestRecord
) -> _Booking:
    adapter = await config.shipping_adapter(session, tenant)
    if adapter is None:
        raise Conflict(
            "no shipping adapter is configured (PUT /v0/config/shipping_adapter)",
            code="shipping_adapter_not_configured",
        )
    order = record.order
    assert order is not None
    destination = order.order["shipping_address"] or order.order["billing_address"]
    if not destination:
        raise Conflict(
            f"order {record.request['external_order_id']} has no shipping address",
            code="shipping_address_missing",
        )
    location = await locations.get_location(session, tenant, record.request["fulfillment_node_id"])
    fulfillment = await config.fulfillment_config(session, tenant)
    rate_hint = None
    if fulfillment is not None:
        rate = fulfillment.provider_rate_for(
            record.request["service_level"], record.request["fulfillment_node_id"]
        )
        if rate is not None and rate.carrier_defined_service_level:
            rate_hint = rate.carrier_defined_service_level
    package = record.request["package"] or None
    name = order.order["customer_name"] or ""
    first, _, last = name.partition(" ")
    consumer = Address(
        address_line_1=destination["address_line_1"],
        country=destination["country"],
        first_name=destination.get("first_name") or first or None,
        last_name=destination.get("last_name") or last or None,
        address_line_2=destination.get("address_line_2"),
        city=destination.get("city"),
        state=destination.get("state"),
        zip_code=destination.get("zip_code"),
        phone=destination.get("phone"),
        email=order.order["customer_email"],
    )
    sender = Address(
        address_line_1=location.description or f"Store {record.request['store_id']}",
        country=location.country_code or destination["country"],
        company=location.description or record.request["store_id"],
    )
    shipment = ShipmentRequest(
        sender_address=sender,
        consumer_address=consumer,
        product_ids=[item["product_id"] for item in record.open_items()],
        fulfillment_node_id=record.request["fulfillment_node_id"],
        demand_location_id=order.order["store_id"],
        package=Package(**package) if package else None,
    )
    return _Booking(
        client=ShippingProviderClient.from_endpoint(http, adapter),
        shipment=shipment,
        service_level=record.request["service_level"],
        shipping_type=record.request["shipping_type"],
        rate_hint=rate_hint,
        currency=order.order["currency"],
        external_order_id=record.request["external_order_id"],
        routing_strategy=record.request["routing_strategy"],
    )


async def _book(booking: _Booking, key: str) -> Booked | Offers | Rejected | Failed | Unknown:
    """Offers at the service level, then book the first; an empty ``Offers`` when none."""
    shipping_type: Any = (
        booking.shipping_type
        if booking.shipping_type in ("traditional_carrier", "same_day_delivery")
        else "traditional_carrier"
    )
    offers = await booking.client.shipping_offers(
        booking.shipment,
        service_level=booking.service_level,
        shipping_type=shipping_type,
        rate=booking.rate_hint,
        currency=booking.currency,
    )
    if booking.rate_hint is not None and (
        isinstance(offers, Rejected) or (isinstance(offers, Offers) and not offers.offers)
    ):
        # The provider rate names a carrier service this carrier does not know: take its
        # offers at the service level instead.
        offers = await booking.client.shipping_offers(
            booking.shipment,
            service_level=booking.service_level,
            shipping_type=shipping_type,
            currency=booking.currency,
        )
    if not isinstance(offers, Offers) or not offers.offers:
        return offers
    return await booking.client.book_offer(
        booking.shipment,
        offers.offers[0],
        external_order_id=booking.external_order_id,
        idempotency_key=key,
    )


async def hand_over(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    store_id: str,
    request_id: str,
    associate_id: str,
    pickup_code: str | None,
) -> RequestRecord:
    """Hand the items over: to the customer (pick-up in store, checked against the pickup code
    when one is given) or to the carrier (ship from store, once the carrier confirms it has the
    parcel, else 409 ``not_handed_over``)."""
    async with database.transaction() as session:
        record = await work.open_record(session, tenant, store_id, request_id)
        if record.request["kind"] == Kind.PICKUP:
            return await work.hand_over_to_customer(
                session, tenant, store_id, request_id, associate_id, pickup_code
            )
        REQUEST_LIFECYCLE.check(record.status, RequestStatus.COMPLETED)
        if record.status != RequestStatus.READY_FOR_HANDOVER or not record.request["shipment_id"]:
            # Only a booked parcel goes to the carrier: a request still dispatched may complete
            # otherwise (the OMS's item states), never through the carrier's handover.
            raise InvalidTransition(
                f"a ship-from-store request is handed to the carrier once its parcel is shipped "
                f"({RequestStatus.READY_FOR_HANDOVER!s}); this one is {record.status!s}",
                extra={"current_status": record.status, "target_status": RequestStatus.COMPLETED},
            )
        adapter = await config.shipping_adapter(session, tenant)
        if adapter is None:
            raise Conflict(
                "no shipping adapter is configured (PUT /v0/config/shipping_adapter)",
                code="shipping_adapter_not_configured",
            )
    client = ShippingProviderClient.from_endpoint(http, adapter)
    outcome = await client.tracking(record.request["shipment_id"])
    if not isinstance(outcome, Tracked):
        raise ExternalServiceError(
            f"the shipping provider could not confirm the handover ({outcome}); retry",
            code="shipping_provider_communication_error",
        )
    if not outcome.shipment.handed_over:
        raise Conflict(
            f"the carrier has not picked up the parcel yet (tracking status "
            f"{outcome.shipment.status!r})",
            code="not_handed_over",
            extra={"carrier_status": outcome.shipment.status},
        )
    async with database.transaction() as session:
        record = await work.open_record(session, tenant, store_id, request_id)
        return await work.complete(session, tenant, record, associate_id)


async def confirm_handovers(database: Database, http: OutboundHttp, *, limit: int = 100) -> int:
    """Ask the carrier about every request waiting for it (all tenants, oldest first, ``limit``
    a page); complete those it has picked up, and give back the bookings of those whose order
    was cancelled meanwhile. Returns how many were completed.

    Safe in several processes at once: completing is a guarded transition, so a request two
    processes confirm together completes once and the other gets (and ignores) a 409.
    """
    completed = 0
    after: tuple[Any, str] | None = None
    while True:
        async with database.transaction() as session:
            waiting = await repository.waiting_for_carrier(session, limit=limit, after=after)
            found = await records.load_each(session, waiting)
            adapters: dict[str, Any] = {}
            for row in waiting:
                if row["tenant"] not in adapters:
                    adapters[row["tenant"]] = await config.shipping_adapter(session, row["tenant"])
        for row, record in zip(waiting, found, strict=True):
            adapter = adapters.get(row["tenant"])
            if adapter is None or not row["shipment_id"]:
                continue
            client = ShippingProviderClient.from_endpoint(http, adapter)
            if not record.open_items():
                await _give_back_booking(database, client, row)
            elif await _confirm(database, client, row):
                completed += 1
        if len(waiting) < limit:
            return completed
        after = (waiting[-1]["updated_at"], waiting[-1]["id"])


async def _confirm(database: Database, client: ShippingProviderClient, row: dict[str, Any]) -> bool:
    """Complete the request if the carrier has its parcel."""
    outcome = await client.tracking(row["shipment_id"])
    if not isinstance(outcome, Tracked) or not outcome.shipment.handed_over:
        return False
    try:
        async with database.transaction() as session:
            record = await records.get(session, row["tenant"], row["id"], for_update=True)
            if record.status != RequestStatus.READY_FOR_HANDOVER or not record.open_items():
                return False
            await work.complete(session, row["tenant"], record, None)
        return True
    except DomainError as error:
        logger.info(
            "handover not recorded",
            extra={"fulfillment_request_id": row["id"], "error_code": error.error_code},
        )
        return False


async def _give_back_booking(
    database: Database, client: ShippingProviderClient, row: dict[str, Any]
) -> None:
    """The order of a booked request was cancelled (by the external OMS, or a cancellation):
    nobody will ship the parcel, yet the carrier would bill its label. Cancel the booking and
    close the request; a carrier that cannot be reached is asked again next round."""
    outcome = await client.cancel(row["shipment_id"], reason="the order was cancelled")
    if isinstance(outcome, Failed | Unknown):
        return
    if not isinstance(outcome, Cancelled):
        # The carrier refuses (the parcel is already on its way): someone must act there.
        logger.error(
            "the booking of a cancelled order could not be cancelled with the carrier",
            extra={"fulfillment_request_id": row["id"], "shipment_id": row["shipment_id"]},
        )
    async with database.transaction() as session:
        record = await records.get(session, row["tenant"], row["id"], for_update=True)
        if record.status == RequestStatus.READY_FOR_HANDOVER and not record.open_items():
            await work.cancel_request(session, record, reason=ORDER_CANCELLED)


async def run_confirmations(database: Database, http: OutboundHttp, every: float) -> None:
    """Confirm carrier handovers every ``every`` seconds until cancelled."""
    while True:
        try:
            await confirm_handovers(database, http)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("confirming carrier handovers failed")
        await asyncio.sleep(every)
