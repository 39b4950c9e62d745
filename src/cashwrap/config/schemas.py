"""Configuration payloads, field names exactly as in the reference, and the typed read models
other domains receive from ``cashwrap.config.service``.

Wire models are strict: ``"true"`` is not a boolean, ``15.0`` is not an integer and an unknown
key is an error (a typo such as ``use_new_om_UI`` must not be silently ignored).
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import re
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cashwrap.core.json_values import JsonObject, JsonValue

REDACTED = "REDACTED"
"""What a secret reads as; sending it back in a PUT keeps the stored secret."""

MIN_API_KEY_LENGTH = 20
MAX_ITEMS_LIMIT = 10**9
COUNTRY = re.compile(r"^[A-Z]{2}$")
IDENTIFIER = re.compile(r"^[^\s/]{1,128}$")

ShippingType = Literal["traditional_carrier", "same_day_delivery", "in_store_pick_up"]
FulfillmentType = Literal["IN_STORE_HANDOVER", "SHIPPING"]
RefundOption = Literal["gift_card", "e_gift_card", "credit_card", "original", "external"]
CancellationReason = Literal[
    "insufficient_stock",
    "failed_fulfillment_node_mapping",
    "shipping_offer_update_error",
    "error",
    "not_enough_stock_to_create_allocation",
    "limit_of_shipments_exceeded",
]
RulesetSection = Literal["routes", "sl_levels_priority", "location_groups", "zip_code_regions"]

ALL_FULFILLMENT_TYPES: list[FulfillmentType] = ["IN_STORE_HANDOVER", "SHIPPING"]
ALL_REFUND_OPTIONS: list[RefundOption] = [
    "gift_card",
    "e_gift_card",
    "credit_card",
    "original",
    "external",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def is_loopback_host(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> str:
    """https, or plain http to a loopback host (a local OMS, the sandbox, tests)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute https:// URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            "must use https; plain http is allowed only for loopback hosts "
            "(127.0.0.0/8, ::1, localhost)"
        )
    if len(url) > 2048:
        raise ValueError("must be at most 2048 characters")
    return url


def check_api_key(value: str | None) -> str | None:
    if value is None or value == REDACTED:
        return value
    if len(value) < MIN_API_KEY_LENGTH:
        raise ValueError(f"must be at least {MIN_API_KEY_LENGTH} characters")
    if len(value) > 4096:
        raise ValueError("must be at most 4096 characters")
    return value


def _unique(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"lists {what} {value!r} twice")
        seen.add(value)


# --- order injection (a.6) -------------------------------------------------------------------


class OrderInjectionConfigurationBigSalesOrder(Strict):
    hard_limit_for_big_orders: int | float

    @field_validator("hard_limit_for_big_orders")
    @classmethod
    def _whole_positive(cls, value: int | float) -> int:
        if (
            isinstance(value, bool)
            or not math.isfinite(value)
            or value != int(value)
            or not 1 <= value <= MAX_ITEMS_LIMIT
        ):
            raise ValueError(f"must be a whole number of items, from 1 to {MAX_ITEMS_LIMIT}")
        return int(value)


class OrderInjectionTenantConfiguration(Strict):
    big_sales_order: OrderInjectionConfigurationBigSalesOrder | None = None
    skip_soft_routing_on_injection: bool | None = None


class OrderInjectionConfig(BaseModel):
    """What order injection reads (defaults: soft routing on, no big-order limit)."""

    skip_soft_routing_on_injection: bool = False
    hard_limit_for_big_orders: int | None = None


# --- routing switches (a.7) ------------------------------------------------------------------


class RoutingSwitchRequest(Strict):
    value: JsonValue


class CancellationPolicySettingsValue(Strict):
    default: bool = True
    reasons_to_overwrite_default: list[CancellationReason] | None = Field(
        default=None, min_length=1
    )

    @field_validator("reasons_to_overwrite_default")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            _unique(value, "reason")
        return value


class LimitExceededWhen(Strict):
    order_amount_lt: int | float = Field(ge=0)
    shipment_count_gt: int = Field(ge=0)


class ShipmentLimitsRequest(Strict):
    currency: str = Field(min_length=3, max_length=3)
    limit_exceeded_when: list[LimitExceededWhen]
    service_level: str = Field(min_length=1, max_length=128)

    @model_validator(mode="after")
    def _consistent(self) -> ShipmentLimitsRequest:
        counts = [rule.shipment_count_gt for rule in self.limit_exceeded_when]
        if len(counts) != len(set(counts)):
            raise ValueError("limit_exceeded_when: two limits have the same shipment_count_gt")
        ordered = sorted(self.limit_exceeded_when, key=lambda rule: rule.shipment_count_gt)
        for smaller, larger in itertools.pairwise(ordered):
            if larger.order_amount_lt < smaller.order_amount_lt:
                raise ValueError(
                    "limit_exceeded_when: order_amount_lt must not decrease as "
                    f"shipment_count_gt grows ({smaller.shipment_count_gt} → "
                    f"{smaller.order_amount_lt}, {larger.shipment_count_gt} → "
                    f"{larger.order_amount_lt})"
                )
        return self


# --- fulfillment configuration, legacy document (a.7, the seed) -------------------------------


class ServiceLevelDefinition(Strict):
    currency_code: str = Field(min_length=3, max_length=3)
    delivery_time: str = ""
    delivery_time_after_cutoff_hour: str | int = ""
    display_name: str = Field(min_length=1, max_length=256)
    price: int | float = Field(ge=0)
    remorse_period: int = Field(default=0, ge=0)
    tax_code: str = ""


class LegacyProviderRate(Strict):
    return_provider_rate: str = ""
    service_level: str = Field(min_length=1)
    shipping_carrier_name: str = Field(min_length=1, max_length=256)
    shipping_type: ShippingType
    use_as_customer_facing_cost: bool = False
    carrier_defined_service_level: str | None = Field(default=None, max_length=256)


class LegacyRouteNode(Strict):
    fulfillment_node_id: str = Field(min_length=1, max_length=256)
    provider_rate: str = Field(min_length=1)


class LegacyDestinationRegion(Strict):
    countries: list[str] = Field(min_length=1)
    zip_codes: list[str] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for country in value:
            if not COUNTRY.match(country):
                raise ValueError(f"{country!r} is not an ISO 3166-1 alpha-2 code such as 'US'")
        _unique(value, "country")
        return value

    @field_validator("zip_codes")
    @classmethod
    def _zip_codes(cls, value: list[str]) -> list[str]:
        if any(not code.strip() for code in value):
            raise ValueError("zip codes must not be empty (use '*' for every zip code)")
        return value


class LegacyRoute(Strict):
    destination_region: LegacyDestinationRegion
    fulfilled_by: dict[str, list[LegacyRouteNode]] = Field(min_length=1)


class LegacyFulfillmentConfig(Strict):
    provider_rates: dict[str, LegacyProviderRate] = Field(default_factory=dict)
    provider_rates_priority: dict[str, list[str]] | None = None
    routes: list[LegacyRoute] = Field(min_length=1)
    service_levels: dict[str, ServiceLevelDefinition] = Field(min_length=1)
    sl_levels_priority: list[str] = Field(min_length=1)

    @field_validator("sl_levels_priority")
    @classmethod
    def _priority(cls, value: list[str]) -> list[str]:
        _unique(value, "service level")
        return value


class FulfillmentConfigDocument(Strict):
    """``{"fulfillment_config": {...}}`` exactly as the seed shows it."""

    fulfillment_config: LegacyFulfillmentConfig


# --- routing ruleset (a.7, routing-ruleset API) ----------------------------------------------


class RulesetDestinationRegion(Strict):
    country: str | None = None
    countries: list[str] | None = Field(default=None, min_length=1)
    zip_code_region: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> RulesetDestinationRegion:
        if (self.country is None) == (self.countries is None):
            raise ValueError("give either country or countries")
        for country in self.countries or [self.country or ""]:
            if not COUNTRY.match(country):
                raise ValueError(f"{country!r} is not an ISO 3166-1 alpha-2 code such as 'US'")
        return self


class RulesetRoute(Strict):
    destination_region: RulesetDestinationRegion
    fulfilled_by: dict[str, list[str]] = Field(min_length=1)


class RoutingRuleset(Strict):
    location_groups: dict[str, list[str]] = Field(default_factory=dict)
    preferred_locations: dict[str, list[str]] = Field(default_factory=dict)
    routes: list[RulesetRoute] = Field(min_length=1)
    sl_levels_priority: list[str] = Field(min_length=1)
    zip_code_regions: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("sl_levels_priority")
    @classmethod
    def _priority(cls, value: list[str]) -> list[str]:
        if any(not level for level in value):
            raise ValueError("service levels must not be empty")
        _unique(value, "service level")
        return value


# --- provider rates (a.7, provider-rates API) ------------------------------------------------


class ReplaceProviderRateSchema(Strict):
    carrier_defined_service_level: str = Field(max_length=256)
    return_provider_rate_id: str
    service_level_id: str = Field(min_length=1, max_length=128)
    shipping_carrier_name: str = Field(min_length=1, max_length=256)
    shipping_type: ShippingType
    use_as_customer_facing_cost: bool


class ProviderRate(ReplaceProviderRateSchema):
    id: str


# --- webhooks the platform calls (a.8, a.9, a.4, a.11) ---------------------------------------


class AvailabilityWebhook(Strict):
    """The ATP webhook; every field is required (Availability Config API)."""

    url: str
    api_key: str
    external_identifier: Literal["product_id"]
    timeout: int = Field(ge=5, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_webhook_url(value)

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: str) -> str:
        return check_api_key(value) or value


class WebhookEndpoint(Strict):
    """A webhook of ours: ``Authorization: Bearer <api_key>`` when a key is set."""

    url: str
    api_key: str | None = None
    timeout: int = Field(default=15, ge=5, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_webhook_url(value)

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: str | None) -> str | None:
        return check_api_key(value)


class ExternalOrderWebhook(WebhookEndpoint):
    """Purchase history and order details, fetched from the external OMS."""


class ShippingAdapterWebhook(WebhookEndpoint):
    """A custom shipping adapter (shipping offers, booking, cancel, tracking)."""


class PaymentProviderWebhook(WebhookEndpoint):
    """The placeholder payment adapter that lets returns of external orders be refunded."""


class EasypostAdapterConfig(Strict):
    easypost_api_key: str = Field(min_length=1, max_length=4096)
    carrier_accounts: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    shipment_creation_options: JsonObject = Field(default_factory=dict)
    base_customization_url: str | None = None
    ignore_customization_failure_on_booking: bool = False
    newstore_url: str | None = None
    newstore_username: str | None = None
    newstore_password: str | None = None

    @field_validator("base_customization_url", "newstore_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else check_webhook_url(value)


# --- switches and settings documents ---------------------------------------------------------


class ExternalOmsConfig(Strict):
    enabled: bool


class SalesOrderConfig(Strict):
    """Whether the platform accepts orders, and how it numbers and holds them (cashwrap)."""

    enabled: bool = False
    order_number_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,16}$")
    grace_period_minutes: int = Field(default=0, ge=0, le=1440)


class Capabilities(Strict):
    mixed_cart: bool = False
    allowed_fulfillment_types: list[FulfillmentType] = Field(
        default_factory=lambda: list(ALL_FULFILLMENT_TYPES), min_length=1
    )
    cash_for_endless_aisle_orders_enabled: bool = False

    @field_validator("allowed_fulfillment_types")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        _unique(value, "fulfillment type")
        return value

    @model_validator(mode="after")
    def _mixed_cart_needs_both(self) -> Capabilities:
        if self.mixed_cart and set(self.allowed_fulfillment_types) != set(ALL_FULFILLMENT_TYPES):
            raise ValueError(
                "mixed_cart works only when allowed_fulfillment_types has both "
                "IN_STORE_HANDOVER and SHIPPING"
            )
        return self


class QualityInspectionOption(Strict):
    code: str = Field(min_length=1, max_length=64)
    option: str = Field(min_length=1, max_length=256)


class ReturnProcessConfiguration(Strict):
    blind_return_enabled: bool = False
    quality_inspection_options: list[QualityInspectionOption] = Field(default_factory=list)

    @field_validator("quality_inspection_options")
    @classmethod
    def _distinct_codes(cls, value: list[QualityInspectionOption]) -> list[QualityInspectionOption]:
        _unique([option.code for option in value], "code")
        return value


class AssociateAppConfig(Strict):
    """The Associate App configuration; ``use_new_om_ui`` sits at the top level (its position
    is not documented by NewStore)."""

    use_new_om_ui: bool = False
    capabilities: Capabilities = Field(default_factory=Capabilities)
    return_process_configuration: ReturnProcessConfiguration = Field(
        default_factory=ReturnProcessConfiguration
    )
    release_toggles: JsonObject = Field(default_factory=dict)
    customizations: JsonObject = Field(default_factory=dict)


class StorePaymentOptions(Strict):
    refund_options: list[RefundOption] = Field(min_length=1)

    @field_validator("refund_options")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        _unique(value, "refund option")
        return value


class PaymentConfig(Strict):
    """``use_charge_api``, refund options (global, then per store) and the payment provider."""

    use_charge_api: bool = False
    refund_options: list[RefundOption] | None = Field(default=None, min_length=1)
    store_mapping: dict[str, StorePaymentOptions] = Field(default_factory=dict)
    provider: PaymentProviderWebhook | None = None

    @field_validator("refund_options")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            _unique(value, "refund option")
        return value

    @field_validator("store_mapping")
    @classmethod
    def _store_ids(cls, value: dict[str, StorePaymentOptions]) -> dict[str, StorePaymentOptions]:
        for store_id in value:
            if not 1 <= len(store_id) <= 256:
                raise ValueError("store ids are 1-256 characters")
        return value


class StoreSettings(Strict):
    mixed_cart: bool = False


class StoreSettingsRequest(Strict):
    mixed_cart: bool


# --- the effective fulfillment configuration (read model) ------------------------------------


class ServiceLevel(BaseModel):
    id: str
    display_name: str
    price: int
    """Minor units of ``currency_code`` (500 = 5.00 USD)."""
    currency_code: str
    delivery_time: str = ""
    delivery_time_after_cutoff_hour: str = ""
    remorse_period: int = 0
    tax_code: str = ""


class RouteNode(BaseModel):
    fulfillment_node_id: str
    provider_rate: str | None = None
    location_group: str | None = None


def normalize_zip(zip_code: str) -> str:
    return "".join(zip_code.split()).upper()


class Route(BaseModel):
    index: int
    countries: list[str]
    zip_codes: list[str]
    zip_code_region: str | None = None
    fulfilled_by: dict[str, list[RouteNode]]

    def describe(self) -> str:
        """``routes[0] (US; *)``: how errors and the doctor name a route."""
        region = self.zip_code_region or ", ".join(self.zip_codes)
        return f"routes[{self.index}] ({', '.join(self.countries)}; {region})"

    def matches(self, country: str, zip_code: str | None) -> bool:
        if country.upper() not in self.countries:
            return False
        if "*" in self.zip_codes:
            return True
        if not zip_code:
            return False
        code = normalize_zip(zip_code)
        return any(fnmatchcase(code, normalize_zip(pattern)) for pattern in self.zip_codes)


class FulfillmentConfiguration(BaseModel):
    """The one effective fulfillment configuration, whichever API wrote its parts.

    ``routes`` are in priority order (the first matching route wins); ``sl_levels_priority``
    orders the service levels offered.
    """

    version: int
    ruleset_version: Literal[1, 2]
    service_levels: dict[str, ServiceLevel]
    sl_levels_priority: list[str]
    routes: list[Route]
    provider_rates: dict[str, ProviderRate]
    provider_rate_priorities: dict[str, list[str]] = Field(default_factory=dict)
    location_groups: dict[str, list[str]] = Field(default_factory=dict)

    def route_for(self, country: str, zip_code: str | None = None) -> Route | None:
        return next((route for route in self.routes if route.matches(country, zip_code)), None)

    def nodes_for(
        self, service_level: str, country: str, zip_code: str | None = None
    ) -> list[RouteNode]:
        """The ordered fulfillment nodes of ``service_level`` for a destination (may be empty)."""
        route = self.route_for(country, zip_code)
        return list(route.fulfilled_by.get(service_level, [])) if route else []

    def service_levels_for(self, country: str, zip_code: str | None = None) -> list[str]:
        """The service levels a destination is offered, in ``sl_levels_priority`` order."""
        route = self.route_for(country, zip_code)
        if route is None:
            return []
        return [level for level in self.sl_levels_priority if level in route.fulfilled_by]

    def node_ids(self) -> frozenset[str]:
        """Every fulfillment node any route names."""
        return frozenset(
            node.fulfillment_node_id
            for route in self.routes
            for nodes in route.fulfilled_by.values()
            for node in nodes
        )

    def provider_rate_for(
        self, service_level: str, node_id: str | None = None
    ) -> ProviderRate | None:
        """The provider rate a node uses for ``service_level`` (the route's, else by priority)."""
        if node_id is not None:
            for route in self.routes:
                for node in route.fulfilled_by.get(service_level, []):
                    if node.fulfillment_node_id == node_id and node.provider_rate:
                        rate = self.provider_rates.get(node.provider_rate)
                        if rate is not None:
                            return rate
        for rate_id in self.provider_rate_priorities.get(service_level, []):
            if rate_id in self.provider_rates:
                return self.provider_rates[rate_id]
        return next(
            (
                rate
                for rate in self.provider_rates.values()
                if rate.service_level_id == service_level
            ),
            None,
        )
