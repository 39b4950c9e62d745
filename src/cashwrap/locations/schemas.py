"""Wire payloads: stores (``/stores``), fulfillment locations, reservations, stock insights.

Field names follow NewStore's stores, reservations and stock specs. Members that NewStore does
not define are cashwrap's and say so in their description.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cashwrap.core.clock import known_timezone

# --- stores and locations ------------------------------------------------------------------


class StoreConfig(BaseModel):
    timezone: str
    report_types: list[str] = Field(default_factory=list)
    auto_report_types: list[str] = Field(default_factory=list)


class Store(BaseModel):
    """``StoreV1Dto``, plus the store's ``fulfillment_node_id`` (defined by cashwrap)."""

    id: str
    tenant: str
    country_code: str
    description: str | None = None
    multi_cashbox: bool = False
    config: StoreConfig
    cashboxes: list[dict[str, object]] | None = None
    fulfillment_node_id: str = Field(description="The location this store is (cashwrap).")


class StoreList(BaseModel):
    items: list[Store]
    next_page_key: str | None = None


class StoreConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        """The same check as the store mappings an import brings (an IANA name)."""
        return None if value is None else known_timezone(value)


class StoreUpdate(BaseModel):
    """``StoreUpdateV1Dto``."""

    model_config = ConfigDict(extra="forbid")

    country_code: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=256)
    config: StoreConfigUpdate | None = None


class Location(BaseModel):
    """A fulfillment location (defined by cashwrap)."""

    fulfillment_node_id: str
    type: Literal["store", "warehouse"]
    store_id: str | None
    country_code: str | None
    description: str | None
    timezone: str | None
    created_at: datetime
    created_by_import: str | None


class LocationList(BaseModel):
    items: list[Location]


# --- reservations --------------------------------------------------------------------------

ReservationStatus = Literal["PENDING", "REJECTED", "RESERVED", "CONVERTED", "UNRESERVED"]


class ReservationItemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=255)


class CreateReservationRequest(BaseModel):
    """``CreateReservationRequestV1`` (and V2's ``external_id``)."""

    model_config = ConfigDict(extra="forbid")

    associate_id: str | None = Field(default=None, min_length=1, max_length=255)
    customer_profile_id: str = Field(min_length=1, max_length=255)
    expires_in_min: int | None = Field(default=None, ge=0, le=525_600)
    items: list[ReservationItemRequest] = Field(min_length=1, max_length=500)
    location_id: str = Field(min_length=1, max_length=128)
    status: Literal["PENDING", "RESERVED"] = "RESERVED"
    external_id: str | None = Field(default=None, min_length=1, max_length=255)


class ReservationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["REJECTED", "RESERVED"]


class ReservationItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=36)
    status: Literal["CONVERTED", "UNRESERVED"]
    cart_id: str | None = Field(default=None, max_length=255)


class ReservationItemSummary(BaseModel):
    id: str
    product_id: str


class ReservationItemDetails(BaseModel):
    id: str
    product_id: str
    status: ReservationStatus
    cart_id: str | None = None
    updated_at: datetime


class ReservationSummary(BaseModel):
    id: str
    associate_id: str | None
    customer_profile_id: str | None
    created_at: datetime
    expires_at: datetime
    external_id: str
    display_id: str
    location_id: str
    status: ReservationStatus
    items: list[ReservationItemSummary]
    reserved_item_count: int


class ReservationDetails(BaseModel):
    id: str
    associate_id: str | None
    customer_profile_id: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    external_id: str
    display_id: str
    location_id: str
    status: ReservationStatus
    items: list[ReservationItemDetails]


class PaginationInfo(BaseModel):
    count: int
    offset: int
    total: int
    reserved_item_count: int


class ReservationList(BaseModel):
    items: list[ReservationSummary]
    pagination_info: PaginationInfo


class ReservationConfig(BaseModel):
    expires_in_min: int
    send_accepted_emails: bool
    send_rejected_emails: bool


class ReservationConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_min: int | None = Field(default=None, ge=1, le=525_600)
    send_accepted_emails: bool | None = None
    send_rejected_emails: bool | None = None


# --- stock insights ------------------------------------------------------------------------


class Allocation(BaseModel):
    created_at: datetime
    item_uuid: str
    order_uuid: str


class InsightReservation(BaseModel):
    created_at: datetime
    expires_at: datetime
    item_uuid: str
    order_uuid: str


class AtpInsights(BaseModel):
    """``AtpInsightsResponse``, plus ``on_hand`` and ``atp`` (defined by cashwrap)."""

    product_id: str
    fulfillment_node_id: str
    allocations: list[Allocation]
    future_allocations: list[Allocation]
    reservations: list[InsightReservation]
    on_hand: int = Field(description="Units on hand (cashwrap).")
    atp: int = Field(description="on_hand minus active reservations, at least 0 (cashwrap).")
