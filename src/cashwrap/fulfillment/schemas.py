"""Wire models: the Fulfillment Requests API (c.3, field names as the reference gives them) and
the store's work API the Associate App uses (defined by cashwrap, in the same style)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cashwrap.core.json_values import JsonValue


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- the reference (c.3) ------------------------------------------------------------------------


class FulfillmentRequestItemView(BaseModel):
    item_id: str
    product_id: str
    status: Literal["dispatched", "shipped", "rejected", "cancelled"]
    carrier: str | None
    tracking_code: str | None


class FulfillmentRequestView(BaseModel):
    fulfillment_request_id: str
    created_at: str
    fulfillment_node_id: str
    service_level: str
    status: Literal["dispatched", "acknowledged", "partially_completed", "completed"]
    items: list[FulfillmentRequestItemView]


class OrderFulfillmentRequestsResponse(BaseModel):
    fulfillment_requests: list[FulfillmentRequestView]


class LineItem(Strict):
    item_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="Sales order item UUID",
    )
    state: Literal["shipped", "rejected"]


class FulfillmentRequestItemsStatesRequest(Strict):
    line_items: list[LineItem] = Field(min_length=1, max_length=2000)
    carrier: str | None = Field(default=None, max_length=256)
    tracking_code: str | None = Field(default=None, min_length=1, max_length=256)
    associate_id: str | None = Field(default=None, min_length=1, max_length=256)
    reason: JsonValue = None


# --- the store's work (defined by cashwrap) ---------------------------------------------------


class AssociateRequest(Strict):
    associate_id: str = Field(min_length=1, max_length=256)


class PickRequest(AssociateRequest):
    item_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Items found on the shelf; omitted: every item still to pick",
    )


class FailedItemsRequest(AssociateRequest):
    item_ids: list[str] = Field(
        min_length=1, max_length=2000, description="Items missing (mispick) or damaged (mispack)"
    )
    note: str | None = Field(default=None, max_length=1024)


class PackageOption(Strict):
    name: str | None = Field(default=None, max_length=128)
    length: float | None = Field(default=None, gt=0)
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)
    dimension_unit: Literal["mm", "cm", "m", "in", "ft"] = "cm"
    weight: float | None = Field(default=None, gt=0)
    weight_unit: Literal["lb", "oz", "kg", "g"] = "kg"


class PackRequest(AssociateRequest):
    package: PackageOption | None = None


class HandoverRequest(AssociateRequest):
    pickup_code: str | None = Field(
        default=None,
        max_length=16,
        description="Pick-up in store: the code the customer shows; checked when given",
    )


class StoreItemView(BaseModel):
    item_id: str
    product_id: str
    product_name: str | None
    external_item_id: str | None
    status: str
    picked: bool
    packed: bool
    reason: str | None


class DocumentLink(BaseModel):
    name: str
    href: str


class StoreFulfillmentRequestView(BaseModel):
    id: str
    order_id: str
    external_order_id: str
    store_id: str | None
    fulfillment_node_id: str
    service_level: str
    kind: Literal["ship", "pickup"]
    shipping_type: str
    routing_strategy: str
    status: str
    api_status: str
    associate_id: str | None
    customer_name: str | None
    customer_email: str | None
    shipping_address: dict[str, Any] | None
    carrier: str | None
    tracking_code: str | None
    pickup_code: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str
    completed_at: str | None
    items: list[StoreItemView]
    documents: list[DocumentLink]


class StoreQueueResponse(BaseModel):
    store_id: str
    fulfillment_node_id: str
    fulfillment_requests: list[StoreFulfillmentRequestView]
