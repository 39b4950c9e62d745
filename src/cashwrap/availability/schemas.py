"""``POST /v0/availability`` (the webhook's shape, b.1) and the cart evaluation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ProductId = str


class ProductRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=255)
    external_identifier: str | None = Field(
        default=None, max_length=255, description="Accepted; only product_id is supported."
    )


class AvailabilityRequest(BaseModel):
    """The webhook request; without ``fulfillment_locations``, every known location."""

    model_config = ConfigDict(extra="forbid")

    products: list[ProductRef] = Field(min_length=1, max_length=500)
    fulfillment_locations: list[str] | None = Field(default=None, min_length=1, max_length=1000)


class AvailabilityItem(BaseModel):
    product_id: str
    external_identifier: str
    fulfillment_location: str
    atp: int
    source: str = Field(description="external (the OMS webhook) or stock (the platform's)")
    reason: str | None = Field(
        description="Why the ATP is unknown (then 0): timeout, refused, http_<status>, "
        "invalid_json, invalid_payload, missing_from_answer…; null when answered."
    )


class AvailabilityResponse(BaseModel):
    availabilities: list[AvailabilityItem]


class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=255)
    quantity: int = Field(ge=1, le=10_000)


class DestinationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    zip_code: str | None = Field(default=None, max_length=32)


class CartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CartLineIn] = Field(min_length=1, max_length=200)
    service_level: str = Field(min_length=1, max_length=128)
    destination: DestinationIn


class AllocationOut(BaseModel):
    fulfillment_node_id: str
    quantity: int


class LineOut(BaseModel):
    line: int
    product_id: str
    quantity: int
    fulfillment_node_id: str | None
    allocations: list[AllocationOut]


class ShipmentItemOut(BaseModel):
    line: int
    product_id: str
    quantity: int


class ShipmentOut(BaseModel):
    fulfillment_node_id: str
    items: list[ShipmentItemOut]


class ProblemOut(BaseModel):
    line: int
    product_id: str
    error_code: str
    requested_quantity: int
    available_quantity: int
    fulfillment_node_ids: list[str]
    reason: str | None
    message: str


class CartResponse(BaseModel):
    available: bool
    source: str
    reason: str | None
    route_nodes: list[str]
    lines: list[LineOut]
    shipments: list[ShipmentOut]
    problems: list[ProblemOut]
