"""Typed models of the order-injection payloads (``POST /v0/d/fulfill_order``, CONTRACT c.1).

Field names, limits and enums are NewStore's (``InjectedOrderRequest`` and the definitions it
uses in ``newstore-api-openapi-original.json``). Requests refuse unknown fields (a typo never
reaches the wire) and serialize without the fields left out; money is given as ``Decimal``,
``float``, ``int`` or a decimal string and sent as a JSON number. Responses ignore fields they
do not know, so a newer platform does not break an older integrator.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

Amount = Annotated[
    Decimal,
    Field(ge=0),
    PlainSerializer(lambda value: float(value), return_type=float, when_used="json"),
]
PositiveAmount = Annotated[
    Decimal,
    Field(gt=0),
    PlainSerializer(lambda value: float(value), return_type=float, when_used="json"),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(
        lambda value: value.isoformat().replace("+00:00", "Z"), return_type=str, when_used="json"
    ),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ExtendedAttribute(_Request):
    name: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=8192)


class Address(_Request):
    """``InjectedOrderAddress``."""

    address_line_1: str = Field(min_length=1, max_length=128)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    address_line_2: str | None = Field(default=None, max_length=256)
    city: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=128)
    salutation: str | None = Field(default=None, max_length=32)
    state: str | None = Field(default=None, max_length=32)
    suffix: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=32)
    zip_code: str | None = Field(default=None, max_length=32)


class TaxLine(_Request):
    """``InjectedOrderItemTaxLine``: ``rate`` is a ratio (0.08875), not a percentage."""

    amount: Amount
    name: str
    rate: Annotated[Decimal, Field(ge=0), PlainSerializer(float, when_used="json")]
    country_code: str | None = Field(default=None, max_length=2)


class DiscountInfo(_Request):
    """``InjectedOrderDiscountInfo``: ``fixed`` (original_value an amount) or ``percentage``
    (original_value 0..100)."""

    discount_ref: str = Field(min_length=1, max_length=256)
    original_value: Amount
    price_adjustment: Amount
    type: Literal["fixed", "percentage"] = "fixed"
    coupon_code: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=1024)


class ItemPrice(_Request):
    """``InjectedOrderShipmentItemPrice``."""

    item_list_price: Amount
    item_price: Amount
    item_tax_lines: list[TaxLine] = Field(default_factory=list, max_length=100)
    item_discount_info: list[DiscountInfo] | None = Field(default=None, max_length=1)
    item_order_discount_info: list[DiscountInfo] | None = Field(default=None, max_length=1)
    pricebook: str | None = Field(default=None, max_length=64)
    group_ref: str | None = Field(default=None, max_length=64)


class GiftWrapping(_Request):
    item_price: Amount
    item_tax_lines: list[TaxLine] = Field(default_factory=list)
    message: str | None = Field(default=None, max_length=512)
    tax_class: str | None = Field(default=None, max_length=256)


class ShipmentItem(_Request):
    """``InjectedOrderShipmentItem``: one unit (quantity is always 1)."""

    external_item_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1, max_length=64)
    price: ItemPrice
    extended_attributes: list[ExtendedAttribute] | None = Field(default=None, max_length=100)
    gift_wrapping: GiftWrapping | None = None
    addon_parent_external_item_id: str | None = Field(default=None, min_length=1, max_length=64)


class DefaultRouting(_Request):
    strategy: Literal["default"] = "default"


class PreroutedRouting(_Request):
    """Route to this node; it must have ATP, else the items go on hold."""

    strategy: Literal["prerouted"] = "prerouted"
    fulfillment_node_id: str = Field(min_length=1, max_length=256)


class ExternalRouting(_Request):
    """Routed by the external OMS: no ATP check; the node must exist or the order is cancelled."""

    strategy: Literal["external"] = "external"
    fulfillment_node_id: str = Field(min_length=1, max_length=256)


RoutingStrategy = Annotated[
    DefaultRouting | PreroutedRouting | ExternalRouting, Field(discriminator="strategy")
]


class ShippingOption(_Request):
    """``InjectedOrderShippingOption`` (by ``service_level_identifier``) or
    ``InjectedOrderShippingOption1`` (by ``shipping_offer_token``): exactly one of the two."""

    price: Amount
    tax: Amount
    service_level_identifier: str | None = Field(default=None, min_length=1, max_length=64)
    shipping_offer_token: str | None = Field(default=None, min_length=1, max_length=8192)
    discount_info: list[DiscountInfo] | None = Field(default=None, max_length=1)
    routing_strategy: RoutingStrategy | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ShippingOption:
        given = [self.service_level_identifier, self.shipping_offer_token]
        if sum(value is not None for value in given) != 1:
            raise ValueError(
                "give exactly one of service_level_identifier and shipping_offer_token"
            )
        return self


class Shipment(_Request):
    """``InjectedOrderShipment``."""

    items: list[ShipmentItem] = Field(min_length=1)
    shipping_option: ShippingOption


class Payment(_Request):
    """``InjectedOrderPayment``: a payment already authorized or captured elsewhere."""

    amount: PositiveAmount
    correlation_ref: str = Field(min_length=1, max_length=128)
    method: str = Field(min_length=1, max_length=64, description="cash, credit_card, gift_card…")
    processed_at: Timestamp
    processor: str = Field(min_length=1, max_length=32)
    type: Literal["authorized", "captured"]
    metadata: dict[str, Any] | None = None
    wallet: str | None = Field(default=None, min_length=1, max_length=64)


class InjectedOrderRequest(_Request):
    """One order for ``POST /v0/d/fulfill_order``. Idempotent on ``external_id``: send the same
    payload again to learn the outcome; a changed payload with the same id is refused."""

    external_id: str = Field(min_length=1, max_length=64)
    shop: str = Field(min_length=1, max_length=128)
    shop_locale: str = Field(min_length=1, max_length=128)
    channel_type: Literal["web", "mobile", "store"]
    channel_name: str = Field(min_length=1, max_length=64)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    shipments: list[Shipment] = Field(min_length=1, max_length=10)
    placed_at: Timestamp | None = None
    price_method: Literal["tax_included", "tax_excluded"] | None = None
    customer_email: str | None = Field(default=None, min_length=1, max_length=64)
    customer_name: str | None = Field(default=None, min_length=1, max_length=128)
    customer_language: str | None = Field(default=None, max_length=2)
    external_customer_id: str | None = Field(default=None, max_length=64)
    store_id: str | None = Field(default=None, max_length=256)
    associate_id: str | None = Field(default=None, max_length=256)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    payments: list[Payment] | None = Field(default=None, max_length=40)
    extended_attributes: list[ExtendedAttribute] | None = Field(default=None, max_length=100)
    notification_blacklist: list[str] | None = None
    is_fulfilled: bool | None = None
    is_historical: bool | None = None
    is_offline: bool | None = None
    is_preconfirmed: bool | None = None
    ip_address: str | None = None

    def wire(self) -> bytes:
        """The request body, exactly as sent (and re-sent on every retry)."""
        return self.model_dump_json(exclude_none=True).encode()


class InjectedOrderItemIds(_Response):
    external_item_id: str
    id: str = Field(description="The platform's order item id (UUID)")
    product_id: str


class InjectedOrderResponse(_Response):
    """The ``200`` answer: the platform's order ``id`` and its items' ids."""

    external_id: str
    id: str = Field(description="The platform's order id (UUID)")
    items: list[InjectedOrderItemIds]
