"""What the external order webhook answers (b.2) and what the Sales Orders API returns (c.2).

Two families of models, field names exactly as the reference has them:

* ``Webhook*`` — the OMS's answer, checked strictly (types, required members, enums, and
  texts no longer than the columns a return copies them into) so that a malformed answer
  becomes the documented 409; members the reference does not know are
  ignored. Required members follow ``openapi/webhook-sales-order.yml``; order details also need
  ``totals`` (required by the Sales Orders API's ``SalesOrderDetailResponse``) and every item
  price carries ``net``, ``tax``, ``gross`` and ``discount`` as NewStore's samples do.
* ``SalesOrder``, ``SalesOrderListResponse``, ``ExternalSalesOrderDetail`` — the answer of
  ``GET /v0/orders`` and of ``GET /v0/orders/{id}?id_type=external`` when it comes from the
  webhook.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# The members an order read from the platform and one from the OMS share.
from cashwrap.core.json_values import storable_text
from cashwrap.orders.schemas import (
    SalesOrderCustomer,
    SalesOrderExtendedAttribute,
    SalesOrderPaymentHistory,
    Wire,
)

PAYMENT_METHODS = frozenset({"gift_card", "credit_card", "cash"})
"""``SalesOrderPaymentMethod``: the only methods Associate App can show in ``payment_history``."""

ChannelType = Literal["web", "store"]
Origin = Literal["newstore", "external"]
FulfillmentType = Literal[
    "traditional", "same_day_delivery", "in_store_pickup", "in_store_purchase", "multiple"
]
ItemStatus = Literal["pending", "in_fulfillment", "on_hold", "complete", "cancelled", "returned"]

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""An order's or an item's id in the OMS: a return keeps it (and refuses what it cannot keep,
as any malformed answer)."""


class Webhook(BaseModel):
    """Strict about what it knows, silent about what it does not."""

    model_config = ConfigDict(extra="ignore", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # A return keeps these texts: a NUL or half a surrogate pair is a malformed answer.
        if isinstance(value, str) and not storable_text(value):
            raise ValueError("holds a NUL character or an unpaired UTF-16 surrogate")
        return value


class WebhookPrice(Webhook):
    net: float
    tax: float
    gross: float
    discount: float
    base: float | None = None


class WebhookProductAttributes(Webhook):
    name: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    size: str | None = None
    color: str | None = None
    image_url: str | None = None
    additional_variant_1: str | None = None
    additional_variant_2: str | None = None


class WebhookExternalIdentifier(Webhook):
    sku: str | None = Field(default=None, max_length=255)
    serial_number: str | None = Field(default=None, max_length=256)
    epc: str | None = Field(default=None, max_length=256)


class WebhookOrderItem(Webhook):
    id: Identifier
    origin_id: Identifier
    status: ItemStatus
    price: WebhookPrice
    product_attributes: WebhookProductAttributes
    external_identifier: WebhookExternalIdentifier | None = None
    product_id: str | None = Field(default=None, max_length=255)

    @property
    def product(self) -> str | None:
        """The product this unit is: ``product_id``, else the ``sku``."""
        if self.product_id:
            return self.product_id
        return self.external_identifier.sku if self.external_identifier else None


class WebhookOrder(Webhook):
    """One order of the purchase history (``OrderSummary``)."""

    id: Identifier
    placed_at: str
    channel_type: ChannelType
    origin: Origin
    origin_id: Identifier
    status: NonEmpty
    currency: str = Field(min_length=3, max_length=3)
    fulfillment_type: FulfillmentType
    catalog: str | None = Field(default=None, max_length=128)
    items: list[WebhookOrderItem]

    @field_validator("placed_at")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        parse_placed_at(value)
        return value

    @property
    def placed(self) -> datetime:
        return parse_placed_at(self.placed_at)


class WebhookOrderList(Webhook):
    orders: list[WebhookOrder]


class WebhookTotals(Webhook):
    net: float | None = None
    tax: float | None = None
    gross: float | None = None
    discount: float | None = None
    shipping: float | None = None
    gift_wrapping: float | None = None
    total: float | None = None


class WebhookCustomer(Webhook):
    id: str | None = Field(default=None, max_length=256)
    name: str | None = Field(default=None, max_length=128)
    email: str | None = Field(default=None, max_length=256)
    language: str | None = Field(default=None, max_length=8)


class WebhookPayment(Webhook):
    amount: float = Field(ge=0)
    category: Literal["payment", "refund"]
    currency: str = Field(min_length=3, max_length=3)
    method: Literal["gift_card", "credit_card", "cash"]
    payment_information: str | None = None


class WebhookPaymentHistory(Webhook):
    payment_history: list[WebhookPayment]


class WebhookExtendedAttribute(Webhook):
    name: str
    value: str


class WebhookOrderDetail(WebhookOrder):
    """One order with its details (``OrderDetail``). ``payment_history`` is checked apart:
    an entry with a method Associate App cannot show drops the whole history (see
    :func:`cashwrap.history.service.keep_payment_history`)."""

    totals: WebhookTotals
    customer: WebhookCustomer | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    shipments: list[dict[str, Any]] | None = None
    tax_method: Literal["vat_included", "vat_excluded"] | None = None
    store_id: str | None = Field(default=None, max_length=128)
    shop_locale: str | None = Field(default=None, max_length=128)
    extended_attributes: list[WebhookExtendedAttribute] | None = None


def parse_placed_at(value: str) -> datetime:
    """RFC 3339: a date, a time and an offset (``Z`` or ``±hh:mm``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (RFC 3339 needs one)")
    return moment


# --- the Sales Orders API's answers -----------------------------------------------------------


class SalesOrderPrice(Wire):
    net: float
    tax: float
    gross: float
    discount: float
    base: float | None = None


class SalesOrderProductAttributes(Wire):
    name: str
    size: str | None = None
    color: str | None = None
    image_url: str | None = None
    additional_variant_1: str | None = None
    additional_variant_2: str | None = None


class SalesOrderExternalIdentifier(Wire):
    sku: str | None = None
    serial_number: str | None = None
    epc: str | None = None


class SalesOrderItem(Wire):
    id: str
    origin_id: str
    status: str
    price: SalesOrderPrice
    product_attributes: SalesOrderProductAttributes
    external_identifier: SalesOrderExternalIdentifier | None = None
    product_id: str | None = None


class SalesOrder(Wire):
    """One order of a customer's history (``SalesOrder``)."""

    id: str
    placed_at: str = Field(description="RFC 3339, in UTC")
    channel_type: str
    origin: Origin
    origin_id: str
    status: str
    currency: str
    fulfillment_type: str
    catalog: str | None = None
    items: list[SalesOrderItem]


class Pagination(Wire):
    """Where a page sits in the (at most 100) orders (defined by cashwrap)."""

    offset: int
    count: int
    total: int


class SalesOrderListResponse(Wire):
    orders: list[SalesOrder]
    pagination: Pagination | None = Field(
        default=None, description="Only with the version 2 media type (defined by cashwrap)"
    )


class SalesOrderTotals(Wire):
    net: float | None = None
    tax: float | None = None
    gross: float | None = None
    discount: float | None = None
    shipping: float | None = None
    gift_wrapping: float | None = None
    total: float | None = None


class ExternalSalesOrderDetail(SalesOrder):
    """``SalesOrderDetailResponse`` as the external OMS gave it."""

    totals: SalesOrderTotals
    customer: SalesOrderCustomer | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    shipments: list[dict[str, Any]] | None = None
    tax_method: str | None = None
    store_id: str | None = None
    shop_locale: str | None = None
    extended_attributes: list[SalesOrderExtendedAttribute] | None = None
    payment_history: list[SalesOrderPaymentHistory] | None = None
