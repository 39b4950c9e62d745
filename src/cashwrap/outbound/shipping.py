"""The shipping provider contract (a.11) as the platform calls it: offers, book, cancel, tracking.

:class:`ShippingProviderClient` calls a custom shipping adapter (the configured URL: a real
adapter or ``cashwrap sandbox carrier``) on the shared client of :mod:`cashwrap.outbound.http`.
Each operation returns an outcome and never raises for what the network or the carrier does::

    offers   → Offers    | Rejected | Failed | Unknown
    book     → Booked    | Rejected | Failed | Unknown
    cancel   → Cancelled | Rejected | Failed | Unknown
    tracking → Tracked   | Rejected | Failed | Unknown

    Rejected   the carrier answered no (``offer_expired``, ``address_invalid``,
               ``booking_rejected``, ``not_cancellable``, ``not_found``, 401…): repeating the
               same request will not help
    Failed     it did not happen (``internal_error``; ``retry_error`` / ``rate_limit`` still
               answered after the retries; connection refused)
    Unknown    it may have happened (timeout, connection lost, an answer that is not the
               contract's)

Retries follow what the contract makes safe. Asking for offers, cancelling (cancelling a cancelled
shipment is not an error) and reading tracking are repeated after any failure that may be
transient. **Booking is repeated only when the carrier provably did not act** — the connection
was refused, or it answered ``retry_error`` (503) or ``rate_limit`` (429) — because the documented
contract gives booking no idempotency: after a timeout a second booking could ship twice, so the
caller gets :class:`Unknown` and decides (cashwrap's own carrier honours an ``Idempotency-Key``
header, which the client sends when given one). No call here may run inside a database
transaction.

The label is **data**, not a document: the tracking code (also the Code 128 barcode value) and a
routing code; the platform renders its own PDF. ``document_url`` is kept for carriers that also
issue their own label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from cashwrap.core import clock, money
from cashwrap.core.errors import InvalidInput
from cashwrap.core.json_values import fitting_text
from cashwrap.outbound.http import OutboundHttp, OutboundResult
from cashwrap.outbound.payments import Endpoint, contract_failure, retrying

ShippingOperation = Literal["shipping_offers", "book_shipment", "cancel_shipment", "get_shipment"]
BookingMethod = Literal["only_shipping", "only_return", "shipping_and_return"]
ShippingType = Literal["traditional_carrier", "same_day_delivery", "in_store_pick_up"]
SAFE_TO_REPEAT: frozenset[str] = frozenset({"shipping_offers", "cancel_shipment", "get_shipment"})
HANDED_OVER = frozenset({"picked_up", "in_transit", "out_for_delivery", "delivered"})


@dataclass(frozen=True)
class Address:
    """A sender or consumer address (the injection API's ``InjectedOrderAddress`` shape)."""

    address_line_1: str
    country: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    phone: str | None = None
    email: str | None = None

    def to_wire(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Package:
    """The package type the associate chose (sent as ``package_option``)."""

    name: str | None = None
    length: float | None = None
    width: float | None = None
    height: float | None = None
    dimension_unit: Literal["mm", "cm", "m", "in", "ft"] = "cm"
    weight: float | None = None
    weight_unit: Literal["lb", "oz", "kg", "g"] = "kg"

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        if self.name is not None:
            wire["name"] = self.name
        if None not in (self.length, self.width, self.height):
            wire["dimensions"] = {
                "length": self.length,
                "width": self.width,
                "height": self.height,
                "unit": self.dimension_unit,
            }
        if self.weight is not None:
            wire["weight"] = {"amount": self.weight, "unit": self.weight_unit}
        return wire


@dataclass(frozen=True)
class ShipmentRequest:
    """What offers and bookings describe: who sends what to whom, from which location."""

    sender_address: Address
    consumer_address: Address
    product_ids: Sequence[str]
    fulfillment_node_id: str | None = None
    demand_location_id: str | None = None
    package: Package | None = None

    def to_wire(self) -> dict[str, Any]:
        if not self.product_ids:
            raise ValueError("a shipment carries at least one product")
        wire: dict[str, Any] = {
            "sender_address": self.sender_address.to_wire(),
            "consumer_address": self.consumer_address.to_wire(),
            "products": [{"product_id": product_id} for product_id in self.product_ids],
        }
        if self.fulfillment_node_id is not None:
            wire["fulfillment_node_id"] = self.fulfillment_node_id
        if self.demand_location_id is not None:
            wire["demand_location_id"] = self.demand_location_id
        if self.package is not None:
            wire["package_option"] = self.package.to_wire()
        return wire


@dataclass(frozen=True)
class ShippingOffer:
    """One offer; ``offer`` is the token a booking names. ``price`` is in minor units."""

    offer: str
    rate: str
    carrier_code: str
    service_level: str | None = None
    shipping_type: str | None = None
    price: int | None = None
    currency: str | None = None
    delivery_time: str | None = None
    expires_at: datetime | None = None

    @property
    def never_expires(self) -> bool:
        """In-store pickup offers never expire (documented); others say when they do."""
        return self.expires_at is None

    def expired(self, at: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or clock.now())


@dataclass(frozen=True)
class Label:
    """What the platform prints: ``barcode_value`` as a ``barcode_symbology`` barcode."""

    tracking_code: str
    barcode_value: str
    barcode_symbology: str = "code128"
    routing_code: str | None = None
    format: str = "data"
    document_url: str | None = None


@dataclass(frozen=True)
class TrackingEvent:
    status: str
    description: str | None = None
    happened_at: datetime | None = None


@dataclass(frozen=True)
class Shipment:
    """The carrier's view of a shipment. ``handed_over`` is the handover confirmation."""

    shipment_id: str
    status: str
    tracking_code: str
    label: Label
    carrier_code: str | None = None
    rate: str | None = None
    return_tracking_code: str | None = None
    return_label: Label | None = None
    picked_up_at: datetime | None = None
    delivered_at: datetime | None = None
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)

    @property
    def handed_over(self) -> bool:
        return self.status in HANDED_OVER or self.picked_up_at is not None

    @property
    def delivered(self) -> bool:
        return self.status == "delivered" or self.delivered_at is not None


@dataclass(frozen=True)
class Offers:
    offers: tuple[ShippingOffer, ...]
    attempts: int = 1


@dataclass(frozen=True)
class Booked:
    shipment: Shipment
    attempts: int = 1


@dataclass(frozen=True)
class Cancelled:
    shipment: Shipment
    attempts: int = 1


@dataclass(frozen=True)
class Tracked:
    shipment: Shipment
    attempts: int = 1


@dataclass(frozen=True)
class Rejected:
    operation: ShippingOperation
    error_code: str
    message: str
    status: int | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Failed:
    operation: ShippingOperation
    error_code: str
    message: str
    retry_after: float | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Unknown:
    operation: ShippingOperation
    reason: str
    message: str
    attempts: int = 1


ShippingFailure = Rejected | Failed | Unknown
OffersOutcome = Offers | ShippingFailure
BookingOutcome = Booked | ShippingFailure
CancelOutcome = Cancelled | ShippingFailure
TrackingOutcome = Tracked | ShippingFailure


class ShippingProviderClient:
    """The shipping provider webhooks over HTTP, with the contract's retry rules.

    ``url`` is the adapter's base URL (NewStore's carrier config calls it ``api_base_url``);
    ``api_key`` travels as ``Authorization: Bearer <api_key>``; ``timeout`` bounds each attempt.
    """

    def __init__(
        self,
        http: OutboundHttp,
        *,
        url: str,
        api_key: str | None,
        timeout: float,
        max_attempts: int = 3,
        backoff: float = 0.05,
        max_retry_after: float = 2.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        self._base = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_retry_after = max_retry_after

    @classmethod
    def from_endpoint(
        cls, http: OutboundHttp, endpoint: Endpoint, **options: Any
    ) -> ShippingProviderClient:
        """A client for the configured custom adapter (``/v0/config/shipping_adapter``)."""
        return cls(
            http, url=endpoint.url, api_key=endpoint.api_key, timeout=endpoint.timeout, **options
        )

    async def shipping_offers(
        self,
        shipment: ShipmentRequest,
        *,
        service_level: str,
        shipping_type: ShippingType = "traditional_carrier",
        rate: str | None = None,
        currency: str = "USD",
    ) -> OffersOutcome:
        """Offers for ``shipment`` at ``service_level``; each carries a token to book."""
        if shipment.fulfillment_node_id is None:
            raise ValueError("shipping offers need the shipment's fulfillment_node_id")
        payload = shipment.to_wire() | {
            "service_level": service_level,
            "shipping_type": shipping_type,
            "currency": currency,
        }
        if rate is not None:
            payload["rate"] = rate
        answer = await self._call("shipping_offers", "POST", "/shipping_offers", payload)
        if not isinstance(answer, _Answer):
            return answer
        try:
            offers = answer.body["shipping_offers"]
            if not isinstance(offers, list):
                raise TypeError("shipping_offers is not a list")
            return Offers(tuple(_offer(item) for item in offers), answer.attempts)
        except (TypeError, ValueError, KeyError) as error:
            return _malformed("shipping_offers", error, answer.attempts)

    async def book(
        self,
        shipment: ShipmentRequest,
        *,
        rate: str,
        carrier_code: str,
        external_order_id: str,
        booking_method: BookingMethod = "only_shipping",
        offer: str | None = None,
        idempotency_key: str | None = None,
    ) -> BookingOutcome:
        """Book ``shipment``: a tracking code and label data, or why not."""
        payload = shipment.to_wire() | {
            "rate": rate,
            "carrier_code": carrier_code,
            "external_order_id": external_order_id,
            "booking_method": booking_method,
        }
        if offer is not None:
            payload["offer"] = offer
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        answer = await self._call("book_shipment", "POST", "/shipments", payload, headers)
        if not isinstance(answer, _Answer):
            return answer
        try:
            return Booked(_shipment(answer.body), answer.attempts)
        except (TypeError, ValueError, KeyError) as error:
            return _malformed("book_shipment", error, answer.attempts)

    async def book_offer(
        self,
        shipment: ShipmentRequest,
        offer: ShippingOffer,
        *,
        external_order_id: str,
        booking_method: BookingMethod = "only_shipping",
        idempotency_key: str | None = None,
    ) -> BookingOutcome:
        """Book the offer the customer chose (its token, rate and carrier)."""
        return await self.book(
            shipment,
            rate=offer.rate,
            carrier_code=offer.carrier_code,
            external_order_id=external_order_id,
            booking_method=booking_method,
            offer=offer.offer,
            idempotency_key=idempotency_key,
        )

    async def cancel(self, shipment_id: str, *, reason: str | None = None) -> CancelOutcome:
        """Cancel a booked shipment; cancelling it again answers the cancelled shipment."""
        payload = {"reason": reason} if reason is not None else {}
        answer = await self._call(
            "cancel_shipment", "POST", f"/shipments/{quote(shipment_id, safe='')}/cancel", payload
        )
        if not isinstance(answer, _Answer):
            return answer
        try:
            return Cancelled(_shipment(answer.body), answer.attempts)
        except (TypeError, ValueError, KeyError) as error:
            return _malformed("cancel_shipment", error, answer.attempts)

    async def tracking(self, shipment_id: str) -> TrackingOutcome:
        """Tracking status and events: ``handed_over`` and ``delivered`` are the confirmations."""
        answer = await self._call(
            "get_shipment", "GET", f"/shipments/{quote(shipment_id, safe='')}", None
        )
        if not isinstance(answer, _Answer):
            return answer
        try:
            return Tracked(_shipment(answer.body), answer.attempts)
        except (TypeError, ValueError, KeyError) as error:
            return _malformed("get_shipment", error, answer.attempts)

    async def _call(
        self,
        operation: ShippingOperation,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> _Answer | ShippingFailure:
        async def attempt(attempts: int) -> tuple[_Answer | ShippingFailure, float | None]:
            result = await self._http.request(
                "shipping_provider",
                method,
                self._base + path,
                json=payload,
                bearer=self._api_key,
                timeout_seconds=self._timeout,
                headers=headers,
            )
            return self._classify(operation, result, attempts)

        return await retrying(attempt, max_attempts=self._max_attempts, backoff=self._backoff)

    def _classify(
        self, operation: ShippingOperation, result: OutboundResult, attempts: int
    ) -> tuple[_Answer | ShippingFailure, float | None]:
        """One attempt's outcome, and how long to wait before repeating it (None: don't)."""
        repeat: float | None = 0.0 if operation in SAFE_TO_REPEAT else None
        if result.ok:
            if not isinstance(result.body, dict):
                return _malformed(operation, "the answer is not an object", attempts), repeat
            return _Answer(result.body, attempts), None
        verdict = contract_failure(result, max_retry_after=self._max_retry_after, uncertain=repeat)
        code, message = verdict.code, verdict.message
        if verdict.kind == "unknown":
            return Unknown(operation, code, message, attempts), verdict.wait
        if verdict.kind == "failed":
            return Failed(operation, code, message, verdict.retry_after, attempts), verdict.wait
        return Rejected(operation, code, message, verdict.status, attempts), verdict.wait


@dataclass(frozen=True)
class _Answer:
    body: dict[str, Any]
    attempts: int


def _malformed(operation: ShippingOperation, error: object, attempts: int) -> Unknown:
    return Unknown(
        operation, "malformed_answer", f"the answer is not the contract's: {error}", attempts
    )


def _offer(item: Any) -> ShippingOffer:
    if not isinstance(item, dict):
        raise TypeError("an offer is not an object")
    currency = _optional_str(item, "currency")
    price = item.get("price")
    return ShippingOffer(
        offer=_required_str(item, "offer"),
        rate=_required_str(item, "rate"),
        carrier_code=_required_str(item, "carrier_code"),
        service_level=_optional_str(item, "service_level"),
        shipping_type=_optional_str(item, "shipping_type"),
        price=_minor(price, currency) if price is not None and currency else None,
        currency=currency,
        delivery_time=_optional_str(item, "delivery_time"),
        expires_at=_time(item.get("expires_at")),
    )


def _shipment(body: dict[str, Any]) -> Shipment:
    tracking_code = _required_str(body, "tracking_code")
    return_tracking_code = _optional_str(body, "return_tracking_code")
    events = body.get("events") or []
    if not isinstance(events, list):
        raise TypeError("events is not a list")
    return Shipment(
        shipment_id=_required_str(body, "shipment_id", 128),
        status=_optional_str(body, "status") or "booked",
        tracking_code=tracking_code,
        label=_label(body.get("label"), tracking_code),
        carrier_code=_optional_str(body, "carrier_code"),
        rate=_optional_str(body, "rate"),
        return_tracking_code=return_tracking_code,
        return_label=_label(body.get("return_label"), return_tracking_code)
        if return_tracking_code
        else None,
        picked_up_at=_time(body.get("picked_up_at")),
        delivered_at=_time(body.get("delivered_at")),
        events=tuple(
            TrackingEvent(
                status=_required_str(event, "status"),
                description=_optional_str(event, "description", _LONGEST_NOTE),
                happened_at=_time(event.get("happened_at")),
            )
            for event in events
            if isinstance(event, dict)
        ),
    )


def _label(item: Any, tracking_code: str) -> Label:
    if item is None:
        return Label(tracking_code=tracking_code, barcode_value=tracking_code)
    if not isinstance(item, dict):
        raise TypeError("label is not an object")
    return Label(
        tracking_code=_optional_str(item, "tracking_code") or tracking_code,
        barcode_value=_optional_str(item, "barcode_value") or tracking_code,
        barcode_symbology=_optional_str(item, "barcode_symbology") or "code128",
        routing_code=_optional_str(item, "routing_code"),
        format=_optional_str(item, "format") or "data",
        document_url=_optional_str(item, "document_url"),
    )


# The longest text of an answer the platform keeps (a tracking code, a carrier; a shipment's id
# is kept in 128 characters).
_LONGEST_TEXT = 256
_LONGEST_NOTE = 4096
"""A tracking event's description: shown, not kept in a column."""


def _required_str(item: dict[str, Any], name: str, limit: int = _LONGEST_TEXT) -> str:
    value = item[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is not a non-empty string")
    return fitting_text(value, name, limit)


def _optional_str(item: dict[str, Any], name: str, limit: int = _LONGEST_TEXT) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return fitting_text(value, name, limit)


def _minor(value: Any, currency: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"price {value!r} is not a number")
    try:
        return money.to_minor(str(value), currency)
    except InvalidInput as error:
        raise ValueError(error.message) from None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time")
    return clock.as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
