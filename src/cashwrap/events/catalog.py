"""The catalog of events: every name the platform publishes, each with a versioned payload model.

A payload model knows its event ``name`` and its ``version``; domains build one from their rows
and hand it to :func:`cashwrap.events.outbox.record`. Field names follow NewStore's event stream
where integrators have observed them (kept exactly: ``id``, ``order_id``, ``logical_timestamp``,
``fulfillment_location_id``, ``items[].product_id``, ``transactions``/``instruments`` …); the
fields nobody has observed are designed in the same style: ids are strings, money is a decimal
number on the wire (``88.0``, never minor units), times are RFC 3339 strings in UTC.

Every payload carries ``logical_timestamp``: a counter per entity (``entity_type`` +
``entity_id``) that grows with each event recorded for it, so that a receiver can drop an event
older than one it already applied (delivery order is not guaranteed).

A change that breaks a receiver gets a new ``version`` of the model; a new optional field does
not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from cashwrap.core import clock

Money = Annotated[float, Field(description="A decimal amount in the currency's major unit")]
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda value: clock.isoformat(clock.as_utc(value)), return_type=str),
    Field(description="RFC 3339 date-time in UTC"),
]


class WireModel(BaseModel):
    """A part of a payload: unknown fields are refused so that a typo never reaches the wire."""

    model_config = ConfigDict(extra="forbid")


class EventPayload(WireModel):
    """The base of every payload model.

    ``logical_timestamp`` may be left out: :func:`~cashwrap.events.outbox.record` then assigns
    the next value of the entity's counter.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    entity_type: ClassVar[str]
    description: ClassVar[str] = ""

    logical_timestamp: int | None = Field(
        default=None,
        description="Grows with every event of the same entity; newer events carry larger values",
    )


class ExtendedAttribute(WireModel):
    name: str
    value: str


# ---------------------------------------------------------------------------------------------
# Orders


class TaxLine(WireModel):
    amount: Money
    rate: float | None = None
    name: str | None = None


class ItemPrice(WireModel):
    item_price: Money = Field(description="Price paid for the item, after item discounts")
    item_list_price: Money = Field(description="Catalog price of the item")
    item_tax: Money = 0.0
    item_discounts: Money = 0.0
    item_order_discounts: Money = Field(default=0.0, description="Share of order-level discounts")
    item_tax_lines: list[TaxLine] = Field(default_factory=list)


class Address(WireModel):
    first_name: str | None = None
    last_name: str | None = None
    address_line_1: str
    address_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str = Field(description="ISO 3166-1 alpha-2")
    phone: str | None = None


class OrderItem(WireModel):
    id: str = Field(description="Order item id; one item per unit, as NewStore counts items")
    external_item_id: str | None = None
    product_id: str
    product_name: str | None = None
    status: str = Field(description="pending | in_fulfillment | on_hold | complete | cancelled …")
    shipping_service_level: str = Field(
        description="IN_STORE_HANDOVER for items taken home (cash & carry); any other service "
        "level marks an endless-aisle item"
    )
    fulfillment_location_id: str | None = None
    price: ItemPrice
    extended_attributes: list[ExtendedAttribute] = Field(default_factory=list)


class OrderTotals(WireModel):
    net: Money
    tax: Money
    gross: Money
    discount: Money = 0.0
    shipping: Money = 0.0
    total: Money


class OrderPayment(WireModel):
    """One payment taken for the order (a summary; the ledger is in payment_account.* events)."""

    method: str = Field(description="credit_card | cash | gift_card | …")
    type: str = Field(description="authorized | captured")
    amount: Money
    currency: str
    processor: str | None = None
    correlation_ref: str | None = None
    processed_at: Timestamp | None = None


class OrderPayloadBase(EventPayload):
    entity_type: ClassVar[str] = "order"

    id: str = Field(description="NewStore order id (UUID)")
    external_id: str | None = Field(default=None, description="Order number shown to people")
    channel_type: str = Field(description="store | web | mobile")
    channel_name: str | None = None
    origin: str = Field(default="newstore", description="newstore | external")
    is_historical: bool = False
    is_exchange: bool = False
    status: str = Field(description="Sales order status: open | on_hold | closed | failed …")
    fulfillment_type: str | None = Field(
        default=None,
        description="traditional | in_store_pickup | in_store_purchase | multiple (mixed cart)",
    )
    placed_at: Timestamp
    created_at: Timestamp
    currency: str
    price_method: str | None = Field(default=None, description="tax_included | tax_excluded")
    store_id: str | None = None
    associate_id: str | None = None
    associate_email: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    items: list[OrderItem]
    totals: OrderTotals
    payment_status: str | None = Field(
        default=None, description="authorized | captured | partially_refunded | refunded …"
    )
    payments: list[OrderPayment] = Field(default_factory=list)
    extended_attributes: list[ExtendedAttribute] = Field(default_factory=list)


class OrderCreated(OrderPayloadBase):
    name: ClassVar[str] = "order.created"
    description: ClassVar[str] = (
        "An order was placed in the platform (cash & carry, endless aisle, mixed cart) or "
        "injected. The external OMS creates the same order."
    )


class OrderOpened(OrderPayloadBase):
    name: ClassVar[str] = "order.opened"
    description: ClassVar[str] = (
        "An order left its grace period and is open for fulfillment (same shape as order.created)."
    )


class OrderStatusItem(WireModel):
    id: str
    product_id: str
    status: str


class OrderCompleted(EventPayload):
    name: ClassVar[str] = "order.completed"
    entity_type: ClassVar[str] = "order"
    description: ClassVar[str] = (
        "Every item of the order was handed over or shipped. The external OMS completes the order."
    )

    id: str
    external_id: str | None = None
    channel_type: str | None = None
    status: str = "closed"
    completed_at: Timestamp
    fulfillment_location_id: str | None = None
    associate_id: str | None = None
    items: list[OrderStatusItem]


class CancelledItem(WireModel):
    id: str
    product_id: str


class OrderCancelled(EventPayload):
    name: ClassVar[str] = "order.cancelled"
    entity_type: ClassVar[str] = "order"
    description: ClassVar[str] = (
        "The order was cancelled (for a store-fulfillment order after a mispick or mispack: "
        "the external OMS re-routes it under a new order number)."
    )

    id: str
    external_id: str | None = None
    cancelled_at: Timestamp
    reason: str = Field(description="Why the order was cancelled, in words")
    reason_code: str | None = Field(
        default=None, description="mispick | mispack | unknown_fulfillment_location | customer …"
    )
    note: str | None = None
    fulfillment_location_id: str | None = None
    associate_id: str | None = None
    items: list[CancelledItem] = Field(default_factory=list)


class OrderItemsCancelled(EventPayload):
    name: ClassVar[str] = "order.items_cancelled"
    entity_type: ClassVar[str] = "order"
    description: ClassVar[str] = "Some items of the order were cancelled."

    id: str = Field(description="Order id")
    external_id: str | None = None
    cancelled_at: Timestamp | None = None
    reason: str | None = None
    items: list[CancelledItem]


# ---------------------------------------------------------------------------------------------
# Payment accounts


class PaymentTransaction(WireModel):
    id: str
    instrument_id: str
    amount: Money = Field(description="Negative for refunds")
    currency: str
    correlation_id: str
    created_at: Timestamp | None = None
    extended_attributes: dict[str, Any] | None = None


class PaymentInstrument(WireModel):
    id: str
    payment_method: str = Field(description="credit_card | cash | gift_card | …")
    payment_wallet: str | None = None
    payment_provider: str


class PaymentAccountPayload(EventPayload):
    entity_type: ClassVar[str] = "payment_account"

    id: str = Field(description="Payment account id (the NewStore order id)")
    order_id: str
    transactions: list[PaymentTransaction]
    instruments: list[PaymentInstrument]


class PaymentAccountAmountAuthorized(PaymentAccountPayload):
    name: ClassVar[str] = "payment_account.amount_authorized"
    description: ClassVar[str] = "An amount was authorized on the order's payment account."


class PaymentAccountAmountCaptured(PaymentAccountPayload):
    name: ClassVar[str] = "payment_account.amount_captured"
    description: ClassVar[str] = "An amount was captured; the external OMS marks the order paid."


class PaymentAccountAmountRefunded(PaymentAccountPayload):
    name: ClassVar[str] = "payment_account.amount_refunded"
    description: ClassVar[str] = "An amount was refunded (transactions carry negative amounts)."


# ---------------------------------------------------------------------------------------------
# Fulfillment requests


class FulfillmentRequestItem(WireModel):
    id: str = Field(description="Order item id")
    product_id: str
    shipped_at: Timestamp | None = None
    carrier: str | None = None
    tracking_code: str | None = None
    reason: str | None = Field(default=None, description="Why the item failed (items_failed)")


class FulfillmentRequestPayload(EventPayload):
    entity_type: ClassVar[str] = "fulfillment_request"

    id: str = Field(description="Fulfillment request id")
    order_id: str
    external_order_id: str | None = None
    fulfillment_location_id: str
    associate_id: str | None = None
    service_level: str = Field(description="IN_STORE_HANDOVER for in-store sales")
    items: list[FulfillmentRequestItem]


class FulfillmentRequestAssigned(FulfillmentRequestPayload):
    name: ClassVar[str] = "fulfillment_request.assigned"
    description: ClassVar[str] = "The order (or part of it) was routed to a fulfillment location."


class FulfillmentRequestItemsCompleted(FulfillmentRequestPayload):
    name: ClassVar[str] = "fulfillment_request.items_completed"
    description: ClassVar[str] = "Items were shipped or handed over by the fulfillment location."


class FulfillmentRequestItemsFailed(FulfillmentRequestPayload):
    name: ClassVar[str] = "fulfillment_request.items_failed"
    description: ClassVar[str] = (
        "Items could not be fulfilled by the location (mispick, mispack, rejection)."
    )


class FulfillmentRequestItemsReadyForHandover(FulfillmentRequestPayload):
    name: ClassVar[str] = "fulfillment_request.items_ready_for_handover"
    description: ClassVar[str] = "Items are packed and wait for the customer or the carrier."


# ---------------------------------------------------------------------------------------------
# Returns and refunds


class ReturnItem(WireModel):
    id: str
    product_id: str
    quantity: int = 1
    refund_amount: Money
    refund_amount_adjusted: Money
    refund_excl_tax: Money
    refund_tax: Money
    item_condition: str | None = None
    condition_code: int | None = None
    return_reason: str | None = None
    return_code: int | None = None


class ReturnProcessed(EventPayload):
    name: ClassVar[str] = "return.processed"
    entity_type: ClassVar[str] = "return"
    description: ClassVar[str] = "A return was processed in a store."

    id: str
    order_id: str | None = None
    returned_at: Timestamp
    total_refund_amount: Money
    total_refund_amount_adjusted: Money
    total_refund_excl_tax: Money
    total_refund_tax: Money
    return_fee: Money = 0.0
    currency: str
    return_location_id: str
    customer_id: str | None = None
    customer_email: str | None = None
    associate_id: str | None = None
    associate_email: str | None = None
    items: list[ReturnItem]


class RefundRequestIssued(EventPayload):
    name: ClassVar[str] = "refund_request.issued"
    entity_type: ClassVar[str] = "refund_request"
    description: ClassVar[str] = "A refund was requested for an order's payment account."

    id: str
    order_id: str
    payment_account_id: str
    amount: Money
    currency: str
    requested_at: Timestamp | None = None
    return_reason: str | None = None
    reason_code: int | None = None
    associate_id: str | None = None
    associate_email: str | None = None
    note: str | None = None


# ---------------------------------------------------------------------------------------------

PAYLOADS: tuple[type[EventPayload], ...] = (
    OrderCreated,
    OrderOpened,
    OrderCompleted,
    OrderCancelled,
    OrderItemsCancelled,
    PaymentAccountAmountAuthorized,
    PaymentAccountAmountCaptured,
    PaymentAccountAmountRefunded,
    FulfillmentRequestAssigned,
    FulfillmentRequestItemsCompleted,
    FulfillmentRequestItemsFailed,
    FulfillmentRequestItemsReadyForHandover,
    ReturnProcessed,
    RefundRequestIssued,
)

BY_NAME: dict[str, type[EventPayload]] = {model.name: model for model in PAYLOADS}
EVENT_NAMES: tuple[str, ...] = tuple(BY_NAME)


def payload_model(name: str) -> type[EventPayload] | None:
    return BY_NAME.get(name)


def json_schema(model: type[EventPayload]) -> dict[str, Any]:
    """The JSON Schema of one payload as it appears on the wire (``logical_timestamp`` filled)."""
    schema = model.model_json_schema(mode="serialization")
    schema["title"] = model.name
    schema["description"] = model.description
    schema["x-event-name"] = model.name
    schema["x-payload-version"] = model.version
    schema["x-domain-entity-type"] = model.entity_type
    properties = schema.setdefault("properties", {})
    properties["logical_timestamp"] = {
        "type": "integer",
        "minimum": 1,
        "description": "Grows with every event of the same entity; newer events carry larger "
        "values",
    }
    required = schema.setdefault("required", [])
    if "logical_timestamp" not in required:
        required.append("logical_timestamp")
    return schema


def envelope_schema() -> dict[str, Any]:
    """The JSON Schema of the body every delivery POSTs."""
    return {
        "title": "Event",
        "type": "object",
        "required": [
            "tenant",
            "name",
            "published_at",
            "payload",
            "idempotency_key",
            "event_id",
            "payload_version",
        ],
        "properties": {
            "tenant": {"type": "string", "description": "The tenant name"},
            "name": {"type": "string", "enum": list(EVENT_NAMES)},
            "published_at": {
                "type": "string",
                "format": "date-time",
                "description": "When the change was recorded; the same on every attempt",
            },
            "payload": {"type": "object", "description": "See the schema of the event's name"},
            "idempotency_key": {
                "type": "string",
                "description": "Unique per event, the same on every attempt and every replay; "
                "also sent as the Idempotency-Key and webhook-id headers",
            },
            "event_id": {"type": "string", "description": "The event's id (= idempotency_key)"},
            "payload_version": {"type": "integer", "description": "Version of the payload model"},
        },
    }
