"""Wire payloads of ``/checkout/carts`` (NewStore's names) and of the checkout cashwrap adds.

NewStore's definitions (``CreateCartRequestBody``, ``ChangeCartRequestBody``, ``CartResource``,
``ItemResource``, ``AddItemRequestBody``, ``ChangeItemRequestBody``, ``AddItemResponseBody``,
…) keep their field names; members marked "defined by cashwrap" extend them (shipping,
totals, the cart's kind, quantities and prices as amounts).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cashwrap.core.json_values import JsonObject

FulfillmentType = Literal["SHIPPING", "IN_STORE_HANDOVER"]
CartKind = Literal["empty", "cash_and_carry", "endless_aisle", "mixed_cart"]
MAX_LINES = 100
MAX_QUANTITY = 100


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Address(Wire):
    """A postal address (the limits of NewStore's ``InjectedOrderAddress``)."""

    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    address_line_1: str = Field(min_length=1, max_length=128)
    address_line_2: str | None = Field(default=None, max_length=256)
    city: str | None = Field(default=None, max_length=64)
    state: str | None = Field(default=None, max_length=32)
    zip_code: str | None = Field(default=None, max_length=32)
    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    phone: str | None = Field(default=None, max_length=128)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class ExtendedAttribute(Wire):
    name: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=8192)


class CreateCartRequestBody(Wire):
    associate_id: str = Field(min_length=1, max_length=256)
    catalog: str = Field(min_length=1, max_length=128)
    channel_id: str = Field(min_length=1, max_length=128, description="The store id")
    channel_type: Literal["STORE"] = "STORE"
    currency: str = Field(pattern=r"^[a-zA-Z]{3}$")
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    device_id: str | None = Field(default=None, min_length=1, max_length=256)
    locale: str = Field(min_length=1, max_length=32)
    fulfillment_group: FulfillmentType | None = Field(
        default=None,
        description="defined by cashwrap: the fulfillment of lines added without one",
    )
    customer_email: str | None = Field(default=None, min_length=3, max_length=256)
    customer_name: str | None = Field(default=None, min_length=1, max_length=128)
    service_level: str | None = Field(default=None, min_length=1, max_length=64)
    shipping_address: Address | None = None
    billing_address: Address | None = None
    items: list[AddItemRequestBody] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="defined by cashwrap: lines to add at once, as POST …/items adds them",
    )


class ChangeCartRequestBody(Wire):
    """Only the members sent change; ``null`` clears one."""

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    fulfillment_group: FulfillmentType | None = None
    customer_email: str | None = Field(default=None, min_length=3, max_length=256)
    customer_name: str | None = Field(default=None, min_length=1, max_length=128)
    service_level: str | None = Field(default=None, min_length=1, max_length=64)
    shipping_address: Address | None = None
    billing_address: Address | None = None


class AddItemItemPrice(Wire):
    source: Literal["INTERNAL", "internal"] = "INTERNAL"
    source_id: str = Field(
        default="default", min_length=1, max_length=128, description="The pricebook"
    )


class AddItemRequestBody(Wire):
    product_id: str = Field(min_length=1, max_length=255)
    epc: str | None = Field(default=None, max_length=128)
    serial_number: str | None = Field(default=None, max_length=128)
    source_id: str | None = Field(default=None, max_length=512)
    extended_attributes: list[ExtendedAttribute] = Field(default_factory=list, max_length=100)
    fulfillment: FulfillmentType | None = None
    price: AddItemItemPrice | None = None
    quantity: int = Field(
        default=1, ge=1, le=MAX_QUANTITY, description="defined by cashwrap: units of the line"
    )


class ChangeItemRequestBody(Wire):
    extended_attributes: list[ExtendedAttribute] | None = Field(default=None, max_length=100)
    fulfillment: FulfillmentType | None = None
    source_id: str | None = Field(default=None, max_length=512)
    quantity: int | None = Field(
        default=None, ge=1, le=MAX_QUANTITY, description="defined by cashwrap"
    )


class MessagesResponse(Wire):
    """``AddItemResponseBody`` / ``ChangeItemResponseBody`` / ``RemoveItemResponseBody``."""

    messages: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    id: str | None = Field(default=None, description="defined by cashwrap: the line's id")


class Link(Wire):
    href: str
    method: str | None = None


class CartLinks(Wire):
    self_: Link = Field(alias="self")
    items: Link
    add_item: Link | None = None
    change_cart: Link | None = None
    checkout: Link | None = Field(default=None, description="defined by cashwrap")
    shipping_options: Link | None = Field(default=None, description="defined by cashwrap")
    order: Link | None = Field(default=None, description="defined by cashwrap")


class ItemLinks(Wire):
    self_: Link = Field(alias="self")
    add_ons: Link
    change_item: Link | None = None
    remove_item: Link | None = None


class ItemPrice(Wire):
    source: str
    source_id: str
    amount: float = Field(description="defined by cashwrap: the unit price")
    total: float = Field(description="defined by cashwrap: unit price × quantity")
    currency: str = Field(description="defined by cashwrap")


class ItemResource(Wire):
    links: ItemLinks = Field(alias="_links")
    add_ons: list[dict[str, Any]] = Field(default_factory=list)
    epc: str | None = None
    extended_attributes: list[ExtendedAttribute] = Field(default_factory=list)
    fulfillment: FulfillmentType
    id: str
    price: ItemPrice
    product_id: str
    quantity: int
    serial_number: str | None = None
    source_id: str | None = None
    product_name: str | None = Field(default=None, description="defined by cashwrap")


class CartTotals(Wire):
    """defined by cashwrap; decimal amounts in the cart's currency (tax is included in prices)."""

    subtotal: float
    shipping: float
    tax: float
    total: float


class CartResource(Wire):
    links: CartLinks = Field(alias="_links")
    associate_id: str
    catalog: str
    channel_id: str
    channel_type: str
    currency: str
    customer_id: str | None = None
    device_id: str | None = None
    id: str
    items: list[ItemResource]
    locale: str
    state: str = Field(description="open | checking_out | checked_out")
    cart_type: CartKind = Field(description="defined by cashwrap")
    fulfillment_group: FulfillmentType | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    service_level: str | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    totals: CartTotals
    order_id: str | None = Field(default=None, description="defined by cashwrap")
    created_at: str
    updated_at: str


# --- shipping options (defined by cashwrap) -----------------------------------------------------


class Destination(Wire):
    country: str
    zip_code: str | None = None


class ShipmentItem(Wire):
    line_id: str
    product_id: str
    quantity: int


class PlannedShipment(Wire):
    fulfillment_node_id: str
    items: list[ShipmentItem]


class LineProblem(Wire):
    line_id: str
    product_id: str
    error_code: str
    message: str
    requested_quantity: int
    available_quantity: int
    fulfillment_node_ids: list[str]
    reason: str | None = None


class ShippingOption(Wire):
    service_level: str
    display_name: str
    price: float
    currency: str
    delivery_time: str
    shipping_type: str | None = None
    shipping_carrier_name: str | None = None
    available: bool | None = Field(
        default=None, description="None when the cart has no line to ship"
    )
    shipments: list[PlannedShipment] = Field(default_factory=list)
    problems: list[LineProblem] = Field(default_factory=list)


class ShippingOptionsResponse(Wire):
    destination: Destination
    shipping_options: list[ShippingOption]


# --- checkout (defined by cashwrap) -------------------------------------------------------------


class PaymentRequest(Wire):
    method: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="cash, credit_card, gift_card, …",
    )
    amount: float | None = Field(
        default=None, gt=0, description="Optional for a single payment: the cart's total"
    )
    token: str | None = Field(default=None, min_length=1, max_length=4096)
    payment_wallet: str | None = Field(default=None, min_length=1, max_length=64)
    metadata: JsonObject | None = Field(default=None, max_length=100)


class CheckoutRequest(Wire):
    payments: list[PaymentRequest] = Field(min_length=1, max_length=10)
    hand_over: bool = Field(
        default=False,
        description="Hand the taken items over at once (the customer leaves with them)",
    )


class CheckoutItem(Wire):
    id: str
    line_id: str
    product_id: str
    fulfillment: FulfillmentType
    status: str
    status_label: str
    fulfillment_location_id: str | None = None


class CheckoutPayment(Wire):
    instrument_id: str
    method: str
    payment_wallet: str | None = None
    payment_provider: str
    amount: float
    currency: str
    captured: bool


class CheckoutResponse(Wire):
    order_id: str
    order_number: str
    cart_id: str
    cart_type: CartKind
    fulfillment_type: str
    status: str
    status_label: str
    payment_status: str
    payment_status_label: str
    currency: str
    subtotal: float
    shipping: float
    total: float
    handed_over: bool
    items: list[CheckoutItem]
    payments: list[CheckoutPayment]
    shipments: list[PlannedShipment] = Field(
        default_factory=list,
        description="How the platform's routing rules would ship (the external OMS decides)",
    )
    links: dict[str, Link] = Field(alias="_links")


class HandoverResponse(Wire):
    order_id: str
    order_number: str
    handed_over: list[str] = Field(description="Item ids handed over by this call")
    status: str
    status_label: str
    payment_status: str
    payment_status_label: str


CreateCartRequestBody.model_rebuild()
