"""Request bodies of the shipping provider contract, as the sandbox carrier validates them.

Documented by NewStore (Shipping Provider Webhooks, book shipment): ``offer``, ``rate`` (<= 256),
``carrier_code`` (<= 256), ``external_order_id``, ``booking_method``
(``only_shipping | only_return | shipping_and_return``), the sender and consumer addresses, the
package, the products, ``demand_location_id`` and ``fulfillment_node_id`` (<= 256); the package
travels as ``package_option`` with the package type's ``dimensions`` and ``weight``. The member
names of the addresses and products, and the shipping offers request, are defined by cashwrap
(addresses take the shape of the injection API's ``InjectedOrderAddress``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cashwrap.core.money import is_currency

BookingMethod = Literal["only_shipping", "only_return", "shipping_and_return"]
ShippingType = Literal["traditional_carrier", "same_day_delivery", "in_store_pick_up"]
Short = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=256)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Address(_Body):
    first_name: Short | None = None
    last_name: Short | None = None
    company: Annotated[str, Field(max_length=128)] | None = None
    address_line_1: Annotated[str, Field(min_length=1, max_length=128)]
    address_line_2: Annotated[str, Field(max_length=256)] | None = None
    city: Annotated[str, Field(max_length=64)] | None = None
    state: Annotated[str, Field(max_length=32)] | None = None
    zip_code: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    phone: Annotated[str, Field(max_length=128)] | None = None
    email: Annotated[str, Field(max_length=256)] | None = None


class Dimensions(_Body):
    length: Annotated[Decimal, Field(gt=0)]
    width: Annotated[Decimal, Field(gt=0)]
    height: Annotated[Decimal, Field(gt=0)]
    unit: Literal["mm", "cm", "m", "in", "ft"]


class Weight(_Body):
    amount: Annotated[Decimal, Field(gt=0)]
    unit: Literal["lb", "oz", "kg", "g"]


class PackageOption(_Body):
    name: Annotated[str, Field(max_length=256)] | None = None
    dimensions: Dimensions | None = None
    weight: Weight | None = None


class Product(_Body):
    product_id: Short


class _Shipment(_Body):
    sender_address: Address
    consumer_address: Address
    package_option: PackageOption | None = None
    products: Annotated[list[Product], Field(min_length=1, max_length=500)]
    demand_location_id: Name | None = None
    fulfillment_node_id: Name | None = None


class ShippingOffersRequest(_Shipment):
    fulfillment_node_id: Name
    service_level: Name
    shipping_type: ShippingType = "traditional_carrier"
    rate: Name | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency")
        return value.upper()


class BookShipment(_Shipment):
    offer: Annotated[str, Field(min_length=1, max_length=8192)] | None = None
    rate: Name
    carrier_code: Name
    external_order_id: Annotated[str, Field(min_length=1, max_length=256)]
    booking_method: BookingMethod


class CancelShipment(_Body):
    reason: Annotated[str, Field(max_length=256)] | None = None


class TrackingUpdate(_Body):
    """Body of the admin ``POST /_sandbox/shipments/{shipment_id}/events``."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["picked_up", "in_transit", "out_for_delivery", "delivered", "exception"]
    description: Annotated[str, Field(max_length=256)] | None = None
