"""The order injection payloads (``InjectedOrderRequest`` and friends), field names and limits
exactly as NewStore's injection definitions give them.

Enums travel as strings (the converted specs declare some as objects; CONTRACT.md 0.1). Models
are strict — ``"12"`` is not a number, ``"true"`` not a boolean — and refuse unknown members, so
that a typo is an error naming the field instead of a silently different order. Money stays a
JSON number here; the service turns it into minor units and checks the currency's decimals.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from cashwrap.core.clock import AwareMoment
from cashwrap.core.json_values import JsonObject, JsonValue

_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VES VND VUV WST XAF XAG XAU
    XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWL
    """.split()  # noqa: SIM905 - the enum as the spec lists it
)
_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
    """.split()  # noqa: SIM905 - the enum as the spec lists it
)


def _currency(value: str) -> str:
    if value not in _CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code of the enum (e.g. 'USD')")
    return value


def _country(value: str) -> str:
    if value not in _COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code (e.g. 'US')")
    return value


Currency = Annotated[str, AfterValidator(_currency)]
CountryCode = Annotated[str, AfterValidator(_country)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A decimal amount in the currency's unit; its decimals are checked against the currency."""
PositiveAmount = Annotated[float, Field(gt=0, allow_inf_nan=False)]
ShippingType = Literal[
    "traditional_carrier", "same_day_delivery", "in_store_pick_up", "in_store_handover"
]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class InjectedOrderExtendedAttribute(Wire):
    name: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=8192)


class InjectedOrderAddress(Wire):
    address_line_1: str = Field(min_length=1, max_length=128)
    address_line_2: str | None = Field(default=None, max_length=256)
    city: str | None = Field(default=None, max_length=64)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=128)
    salutation: str | None = Field(default=None, max_length=32)
    state: str | None = Field(default=None, max_length=32)
    suffix: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=32)
    zip_code: str | None = Field(default=None, max_length=32)


class InjectedOrderDiscountInfo(Wire):
    """Item, order-level (prorated) or shipping discount. ``percentage``: ``original_value`` is
    the percentage (0–100); ``fixed``: the amount. ``price_adjustment`` is what was taken off."""

    discount_ref: str = Field(min_length=1, max_length=256)
    original_value: Amount
    price_adjustment: Amount
    type: Literal["fixed", "percentage"] = "fixed"
    coupon_code: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=1024)

    @model_validator(mode="after")
    def _percentage(self) -> InjectedOrderDiscountInfo:
        if self.type == "percentage" and self.original_value > 100:
            raise ValueError("original_value of a percentage discount is at most 100")
        return self


class InjectedOrderItemTaxLine(Wire):
    amount: Amount
    name: str
    rate: float = Field(ge=0, le=1, allow_inf_nan=False, description="A ratio, not a percentage")
    country_code: str | None = Field(default=None, max_length=2)


class GiftWrapping(Wire):
    item_price: Amount | None = None
    item_tax_lines: list[InjectedOrderItemTaxLine] = Field(default_factory=list, max_length=100)
    message: str | None = Field(default=None, max_length=512)
    tax_class: str | None = Field(default=None, max_length=256)


class InjectedOrderShipmentItemPrice(Wire):
    item_list_price: Amount
    item_price: Amount
    item_tax_lines: list[InjectedOrderItemTaxLine] = Field(max_length=100)
    item_discount_info: list[InjectedOrderDiscountInfo] = Field(default_factory=list, max_length=1)
    item_order_discount_info: list[InjectedOrderDiscountInfo] = Field(
        default_factory=list, max_length=1
    )
    pricebook: str = Field(default="default", max_length=64)
    group_ref: str | None = Field(default=None, max_length=64)


class InjectedOrderShipmentItem(Wire):
    external_item_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1, max_length=64)
    price: InjectedOrderShipmentItemPrice
    extended_attributes: list[InjectedOrderExtendedAttribute] = Field(
        default_factory=list, max_length=100
    )
    gift_wrapping: GiftWrapping | None = None
    addon_parent_external_item_id: str | None = Field(default=None, min_length=1, max_length=64)


class DefaultRouting(Wire):
    strategy: Literal["default"]


class PreroutedRouting(Wire):
    strategy: Literal["prerouted"]
    fulfillment_node_id: str = Field(min_length=1, max_length=256)


class ExternalRouting(Wire):
    strategy: Literal["external"]
    fulfillment_node_id: str = Field(min_length=1, max_length=256)


RoutingStrategy = Annotated[
    DefaultRouting | PreroutedRouting | ExternalRouting, Field(discriminator="strategy")
]


class InjectedOrderShippingOption(Wire):
    """``InjectedOrderShippingOption`` (by ``service_level_identifier``) and
    ``InjectedOrderShippingOption1`` (by ``shipping_offer_token``) in one model: which one a
    shipment uses — and that no order mixes them — is checked with the order's other rules
    (``invalid_shipments``)."""

    service_level_identifier: str | None = Field(default=None, min_length=1, max_length=64)
    shipping_offer_token: str | None = Field(default=None, min_length=1, max_length=8192)
    price: Amount
    tax: Amount
    discount_info: list[InjectedOrderDiscountInfo] = Field(default_factory=list, max_length=1)
    routing_strategy: RoutingStrategy | None = None

    @model_validator(mode="after")
    def _one_of(self) -> InjectedOrderShippingOption:
        if self.service_level_identifier is None and self.shipping_offer_token is None:
            raise ValueError("needs service_level_identifier or shipping_offer_token")
        return self


class InjectedOrderShipment(Wire):
    items: list[InjectedOrderShipmentItem] = Field(min_length=1)
    shipping_option: InjectedOrderShippingOption


class HistoricalShippingOption(Wire):
    country_code: CountryCode
    display_name: str = Field(min_length=1)
    fulfillment_node_id: str = Field(max_length=256)
    price: Amount
    service_level_identifier: str = Field(min_length=1, max_length=64)
    shipping_carrier: str
    shipping_type: ShippingType
    tax: Amount
    zip_code: str
    delivery_details: str | None = None
    discount_info: list[InjectedOrderDiscountInfo] = Field(default_factory=list, max_length=1)
    store_id: str | None = None


class HistoricalOrderShipment(Wire):
    historical_shipping_option: HistoricalShippingOption
    items: list[InjectedOrderShipmentItem] = Field(min_length=1)
    shipped_at: AwareMoment | None = None


class InjectedOrderPayment(Wire):
    amount: PositiveAmount
    correlation_ref: str = Field(min_length=1, max_length=128)
    method: str = Field(min_length=1, max_length=64)
    processed_at: AwareMoment
    processor: str = Field(min_length=1, max_length=32)
    type: Literal["authorized", "captured"]
    metadata: JsonObject | None = None
    wallet: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _metadata(self) -> InjectedOrderPayment:
        if self.metadata is not None and len(self.metadata) > 100:
            raise ValueError("metadata has at most 100 keys")
        return self


def _shipment_kind(value: Any) -> str:
    if isinstance(value, dict):
        return HISTORICAL if "historical_shipping_option" in value else INJECTED
    return HISTORICAL if isinstance(value, HistoricalOrderShipment) else INJECTED


INJECTED = "injected"
HISTORICAL = "historical"
Shipment = Annotated[
    Annotated[InjectedOrderShipment, Tag(INJECTED)]
    | Annotated[HistoricalOrderShipment, Tag(HISTORICAL)],
    Discriminator(_shipment_kind),
]
"""``shipments.items`` is untyped in the spec: a shipment with ``historical_shipping_option``
is a ``HistoricalOrderShipment``, any other an ``InjectedOrderShipment``."""


class InjectedOrderRequest(Wire):
    external_id: str = Field(min_length=1, max_length=64)
    shop: str = Field(min_length=1, max_length=128)
    shop_locale: str = Field(min_length=1, max_length=128)
    channel_type: Literal["web", "mobile", "store"]
    channel_name: str = Field(min_length=1, max_length=64)
    currency: Currency
    shipments: list[Shipment] = Field(min_length=1, max_length=10)
    placed_at: AwareMoment | None = None
    price_method: Literal["tax_included", "tax_excluded"] = "tax_included"
    customer_email: str | None = Field(default=None, min_length=1, max_length=64)
    customer_name: str | None = Field(default=None, min_length=1, max_length=128)
    customer_language: str | None = Field(default=None, max_length=2)
    external_customer_id: str | None = Field(default=None, max_length=64)
    store_id: str | None = Field(default=None, max_length=256)
    associate_id: str | None = Field(default=None, max_length=256)
    billing_address: InjectedOrderAddress | None = None
    shipping_address: InjectedOrderAddress | None = None
    payments: list[InjectedOrderPayment] = Field(default_factory=list, max_length=40)
    extended_attributes: list[InjectedOrderExtendedAttribute] = Field(
        default_factory=list, max_length=100
    )
    notification_blacklist: list[str] = Field(default_factory=list)
    is_fulfilled: bool = False
    is_historical: bool = False
    is_offline: bool = False
    is_preconfirmed: bool = False
    ip_address: JsonValue = None

    @model_validator(mode="after")
    def _shipments_match_the_kind(self) -> InjectedOrderRequest:
        """Historical orders carry ``HistoricalOrderShipment``, others ``InjectedOrderShipment``."""
        for index, shipment in enumerate(self.shipments):
            historical = isinstance(shipment, HistoricalOrderShipment)
            if historical and not self.is_historical:
                raise ValueError(
                    f"shipments.{index}: historical_shipping_option is only for is_historical "
                    "orders; other orders need shipping_option"
                )
            if self.is_historical and not historical:
                raise ValueError(
                    f"shipments.{index}: an is_historical order needs historical_shipping_option"
                )
        return self


class InjectedOrderItemIds(BaseModel):
    external_item_id: str
    id: str
    product_id: str


class InjectedOrderResponse(BaseModel):
    external_id: str
    id: str = Field(description="The order's id in the platform")
    items: list[InjectedOrderItemIds]
