"""The Sales Orders API's order (``SalesOrderDetailResponse``), field names as the reference has
them, plus the status labels of the seed's validation table (members defined by cashwrap:
``uuid``, ``status_label``, ``payment_status``, ``payment_status_label`` and, per item,
``uuid``, ``status_label``, ``fulfilled_by``, ``fulfillment_location_id``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SalesOrderPrice(Wire):
    base: float = Field(description="List price")
    discount: float
    gross: float
    net: float
    tax: float


class SalesOrderTaxLine(Wire):
    amount: float
    rate: float
    name: str | None = None
    country_code: str | None = None


class SalesOrderExtendedAttribute(Wire):
    name: str
    value: str


class SalesOrderProductAttributes(Wire):
    name: str


class SalesOrderDetail(Wire):
    id: str = Field(description="External id of the item (the platform's id when it has none)")
    origin_id: str
    product_id: str
    price: SalesOrderPrice
    product_attributes: SalesOrderProductAttributes
    status: str
    shipping_method: str
    fulfillment_group_type: Literal["SHIPPING", "IN_STORE_HANDOVER"]
    tax_lines: list[SalesOrderTaxLine] = Field(default_factory=list)
    extended_attributes: list[SalesOrderExtendedAttribute] = Field(default_factory=list)
    addon_parent_item_id: str | None = None
    uuid: str = Field(description="The platform's item id (defined by cashwrap)")
    status_label: str = Field(description="What Omnichannel Manager shows (defined by cashwrap)")
    fulfilled_by: str = Field(description="customer | external_oms | store (defined by cashwrap)")
    fulfillment_location_id: str | None = None


class SalesOrderTotals(Wire):
    discount: float
    gift_wrapping: float = 0.0
    gross: float
    net: float
    shipping: float
    tax: float
    total: float


class SalesOrderCustomer(Wire):
    id: str | None = None
    email: str | None = None
    name: str | None = None
    language: str | None = None


class SalesOrderPaymentHistory(Wire):
    amount: float
    category: Literal["payment", "refund"]
    currency: str
    method: Literal["gift_card", "credit_card", "cash"]
    payment_information: str | None = None


class SalesOrderDetailResponse(Wire):
    id: str = Field(description="The order number (external id of the order)")
    uuid: str = Field(description="The platform's order id (defined by cashwrap)")
    origin: Literal["newstore", "external"]
    origin_id: str
    channel_type: str
    currency: str
    fulfillment_type: str
    placed_at: str
    status: str
    status_label: str = Field(description="What Omnichannel Manager shows (defined by cashwrap)")
    payment_status: str = Field(description="The payment account's status (defined by cashwrap)")
    payment_status_label: str = Field(description="defined by cashwrap")
    totals: SalesOrderTotals
    items: list[SalesOrderDetail]
    catalog: str | None = None
    shop_locale: str | None = None
    store_id: str | None = None
    tax_method: Literal["vat_included", "vat_excluded"]
    customer: SalesOrderCustomer | None = None
    billing_address: dict[str, Any] | None = None
    shipping_address: dict[str, Any] | None = None
    extended_attributes: list[SalesOrderExtendedAttribute] = Field(default_factory=list)
    notification_blacklist: list[str] = Field(default_factory=list)
    is_offline: bool = False
    payment_history: list[SalesOrderPaymentHistory] | None = None


class SalesOrderCancellationRequest(Wire):
    """NewStore's cancellation request: a reason is required (400 without)."""

    reason: str = Field(min_length=1, max_length=512)
    note: str | None = Field(default=None, max_length=4096)


class SalesOrderCancellationResponse(Wire):
    cancelable: bool
    canceled: bool
    is_safe: bool


class PaymentRelease(Wire):
    """What a cancellation gave back (defined by cashwrap)."""

    state: str = Field(description="succeeded | partial | failed | unknown")
    currency: str
    revoked: float
    refunded: float
    unreleased: float = Field(description="Captured cash: refunded by hand, as NewStore does")
    error_code: str | None = None


class SalesOrderCancellationResult(SalesOrderCancellationResponse):
    """The status after a cancellation, and the money released (defined by cashwrap)."""

    payment_release: PaymentRelease | None = None
