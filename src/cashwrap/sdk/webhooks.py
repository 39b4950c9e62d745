"""The webhooks the platform calls on the OMS: ATP (b.1) and external orders (b.2).

Typed models of both, the rules an answer must follow, and :func:`webhook_app`, an ASGI app
that serves them from three async functions of yours::

    async def atp(request: AvailabilityRequest) -> AvailabilityResponse: ...
    async def history(email: str | None, token: str | None) -> list[OrderDetail]: ...
    async def details(order_id: str) -> OrderDetail | None: ...      # None: 404

    app = webhook_app(
        api_key=KEY, availability=atp, purchase_history=history, order_details=details
    )

Paths (NewStore documents the operations, not their paths — CONTRACT b.1, b.2, g.6):
``POST /availabilities``, ``GET /orders?consumer_email=|consumer_token=``, ``GET /orders/{id}``.
Every call must carry ``Authorization: Bearer <api_key>`` (the bare key is accepted too); others
are answered ``401``.

Rules applied for you:

* purchase history: **at most 100 orders, newest first** (:func:`purchase_history_answer`);
* order details: ``payment_history`` is **left out** when any payment of the order used a
  method other than ``gift_card``, ``credit_card`` or ``cash``, so the Associate App can still
  show the order (:func:`order_details_answer`);
* ``origin`` is ``newstore`` (captured in the platform: ``origin_id`` = the platform's order id,
  items' ``origin_id`` = its item ids — referenced returns) or ``external`` (captured in the OMS:
  unreferenced returns).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from cashwrap.sdk.asgi import read_request, send_json, serve_lifespan

MAX_HISTORY = 100
PAYMENT_HISTORY_METHODS = frozenset({"gift_card", "credit_card", "cash"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- ATP (b.1) -------------------------------------------------------------------------------


class ProductRef(_Model):
    product_id: str = Field(min_length=1)
    external_identifier: str | None = None


class AvailabilityRequest(_Model):
    """``{"products": [{product_id, external_identifier}], "fulfillment_locations": [...]}``."""

    products: list[ProductRef] = Field(min_length=1)
    fulfillment_locations: list[str] = Field(min_length=1)


class Availability(_Model):
    product_id: str
    external_identifier: str
    fulfillment_location: str
    atp: int = Field(ge=0)


class AvailabilityResponse(_Model):
    availabilities: list[Availability]


def availability_answer(
    request: AvailabilityRequest, atp: Callable[[str, str], int]
) -> AvailabilityResponse:
    """One entry per requested (product, location) pair, ``atp(product_id, location)`` units
    each (never below 0). Leaving a pair out makes the platform treat it as unavailable."""
    return AvailabilityResponse(
        availabilities=[
            Availability(
                product_id=product.product_id,
                external_identifier=product.external_identifier or product.product_id,
                fulfillment_location=location,
                atp=max(0, int(atp(product.product_id, location))),
            )
            for product in request.products
            for location in request.fulfillment_locations
        ]
    )


# --- external orders (b.2) -------------------------------------------------------------------


class ItemPrice(_Model):
    net: float
    tax: float
    gross: float
    discount: float = 0.0
    base: float | None = None


class ProductAttributes(_Model):
    name: str
    size: str | None = None
    color: str | None = None
    image_url: str | None = None


class ExternalIdentifier(_Model):
    sku: str | None = None
    serial_number: str | None = None
    epc: str | None = None


class OrderItem(_Model):
    id: str
    origin_id: str = Field(description="Item id in the origin system (platform item id)")
    status: Literal["pending", "in_fulfillment", "on_hold", "complete", "cancelled", "returned"]
    price: ItemPrice
    product_attributes: ProductAttributes
    external_identifier: ExternalIdentifier | None = None
    product_id: str | None = None


class Customer(_Model):
    id: str | None = None
    name: str | None = None
    email: str | None = None
    language: str | None = None


class Totals(_Model):
    net: float
    tax: float
    gross: float
    discount: float = 0.0
    shipping: float = 0.0
    gift_wrapping: float | None = None
    total: float


class PaymentHistoryEntry(_Model):
    category: Literal["payment", "refund"]
    method: str = Field(description="Shown only when every method is gift_card/credit_card/cash")
    amount: float
    currency: str
    payment_information: str | None = None


class OrderSummary(_Model):
    """One order of a purchase history (``OrderSummary`` of the webhook)."""

    id: str = Field(description="The order number shown to associates")
    placed_at: datetime
    channel_type: Literal["web", "store"]
    origin: Literal["newstore", "external"]
    origin_id: str
    status: str
    currency: str
    fulfillment_type: Literal[
        "traditional", "same_day_delivery", "in_store_pickup", "in_store_purchase", "multiple"
    ]
    items: list[OrderItem]
    catalog: str | None = None


class OrderDetail(OrderSummary):
    """One order with its customer, totals and payments (``OrderDetail`` of the webhook)."""

    customer: Customer | None = None
    totals: Totals | None = None
    payment_history: list[PaymentHistoryEntry] | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    shipments: list[dict[str, Any]] | None = None
    tax_method: Literal["vat_included", "vat_excluded"] | None = None
    store_id: str | None = None
    extended_attributes: list[dict[str, Any]] | None = None


_SUMMARY_FIELDS = set(OrderSummary.model_fields)


def _wire(model: BaseModel, *, include: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True, include=include))
    return data


def purchase_history_answer(orders: Iterable[OrderSummary]) -> dict[str, Any]:
    """The purchase-history answer: ``{"orders": [...]}``, newest first, at most 100."""
    newest = sorted(orders, key=lambda order: order.placed_at, reverse=True)[:MAX_HISTORY]
    return {"orders": [_wire(order, include=_SUMMARY_FIELDS) for order in newest]}


def order_details_answer(order: OrderDetail) -> dict[str, Any]:
    """The order-details answer; ``payment_history`` left out when a method is not one the
    Associate App can show (gift_card, credit_card, cash)."""
    body = _wire(order)
    history = order.payment_history or []
    if any(entry.method not in PAYMENT_HISTORY_METHODS for entry in history):
        body.pop("payment_history", None)
    return body


# --- the ASGI app ----------------------------------------------------------------------------

AvailabilityHandler = Callable[[AvailabilityRequest], Awaitable[AvailabilityResponse]]
HistoryHandler = Callable[[str | None, str | None], Awaitable[Iterable[OrderSummary]]]
DetailsHandler = Callable[[str], Awaitable[OrderDetail | None]]


def authorized(headers: Mapping[str, str], api_key: str) -> bool:
    """Whether ``Authorization`` carries ``api_key`` (``Bearer <key>`` or the bare key)."""
    given = headers.get("authorization", "")
    if given[:7].lower() == "bearer ":
        given = given[7:]
    return hmac.compare_digest(given.strip().encode(), api_key.encode())


def webhook_app(
    *,
    api_key: str,
    availability: AvailabilityHandler | None = None,
    purchase_history: HistoryHandler | None = None,
    order_details: DetailsHandler | None = None,
) -> ASGIApp:
    """An ASGI app serving the webhooks you give handlers for (see the module)."""
    history_handler, details_handler = purchase_history, order_details

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers, body = await read_request(scope, receive)
        status, document = await _route(scope, headers, body)
        await send_json(send, status, document)

    async def _route(
        scope: Scope, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        if not authorized(headers, api_key):
            return 401, _problem("unauthorized", "missing or wrong API key")
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        query = _query(scope.get("query_string", b""))
        if path == "/availabilities" and availability is not None:
            if method != "POST":
                return 405, _problem("method_not_allowed", "POST only")
            try:
                request = AvailabilityRequest.model_validate_json(body)
            except ValidationError as error:
                return 400, _problem("invalid_request", _first(error))
            return 200, _wire(await availability(request))
        if path == "/orders" and history_handler is not None and method == "GET":
            email, token = query.get("consumer_email"), query.get("consumer_token")
            if not email and not token:
                return 400, _problem("invalid_request", "consumer_email or consumer_token")
            return 200, purchase_history_answer(await history_handler(email, token))
        if path.startswith("/orders/") and details_handler is not None and method == "GET":
            order_id = _unquote(path.removeprefix("/orders/"))
            found = await details_handler(order_id)
            if found is None:
                return 404, _problem("order_not_found", f"no order {order_id}")
            return 200, order_details_answer(found)
        return 404, _problem("not_found", f"no webhook at {method} {path}")

    return app


def _problem(code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "message": message}


def _first(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"


def _query(raw: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw.decode("latin-1")))


def _unquote(value: str) -> str:
    return unquote(value)
