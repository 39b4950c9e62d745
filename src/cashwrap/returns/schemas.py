"""The returns API's payloads.

The request follows integrator usage of ``POST /v0/d/orders/{order_id}/returns``
(``{items: [{product_id, reason}], returned_from}``, CONTRACT c.4); what an associate also
needs at the till is defined by cashwrap: ``quantity`` and ``item_id`` per line, the item's
condition, whether it goes back to stock, the refund method of an unreferenced return, and who
took it. Amounts on the wire are decimal numbers in the currency's unit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RefundMethod = Literal["original", "external", "gift_card", "e_gift_card", "credit_card"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReturnLine(Strict):
    product_id: str | None = Field(default=None, min_length=1, max_length=255)
    item_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="One unit of the order, by its id (defined by cashwrap)",
    )
    quantity: int = Field(default=1, ge=1, le=100, description="Units (defined by cashwrap)")
    reason: str | None = Field(default=None, max_length=256, description="Why it came back")
    reason_code: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="return_code of the event"
    )
    item_condition: str | None = Field(default=None, max_length=256)
    condition_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A code of return_process_configuration.quality_inspection_options",
    )
    restock: bool = Field(default=True, description="Put the unit back in the store's stock")

    @model_validator(mode="after")
    def _which_unit(self) -> ReturnLine:
        if self.product_id is None and self.item_id is None:
            raise ValueError("give the product_id (or the item_id) of what comes back")
        if self.item_id is not None and self.quantity != 1:
            raise ValueError("an item_id names one unit: its quantity is 1")
        return self


class ReturnRequest(Strict):
    items: list[ReturnLine] = Field(min_length=1, max_length=100)
    returned_from: str = Field(
        min_length=1, max_length=128, description="The store's fulfillment_node_id"
    )
    refund_method: RefundMethod | None = Field(
        default=None,
        description="Required for unreferenced returns; referenced returns default to original",
    )
    associate_id: str | None = Field(default=None, min_length=1, max_length=256)
    associate_email: str | None = Field(default=None, min_length=3, max_length=256)
    note: str | None = Field(default=None, max_length=1024)


class BlindReturnLine(ReturnLine):
    product_id: str = Field(min_length=1, max_length=255)
    price: float = Field(gt=0, description="What is refunded per unit, tax included")
    tax: float = Field(default=0, ge=0, description="The tax part of price")
    item_id: None = None

    @model_validator(mode="after")
    def _tax_within_price(self) -> BlindReturnLine:
        if self.tax > self.price:
            raise ValueError("tax cannot exceed price")
        return self


class BlindReturnRequest(ReturnRequest):
    """A return without an order (defined by cashwrap)."""

    items: list[BlindReturnLine] = Field(min_length=1, max_length=100)  # type: ignore[assignment]
    currency: str = Field(min_length=3, max_length=3)
    refund_method: RefundMethod
    customer_id: str | None = Field(default=None, min_length=1, max_length=256)
    customer_email: str | None = Field(default=None, min_length=3, max_length=256)


class ReturnedItem(Strict):
    id: str = Field(description="The return item's id")
    order_item_id: str | None = Field(description="The unit's id in the order it came from")
    return_order_item_id: str | None
    product_id: str
    product_name: str | None = None
    quantity: int = 1
    refund_amount: float
    refund_excl_tax: float
    refund_tax: float
    return_reason: str | None = None
    return_code: int | None = None
    item_condition: str | None = None
    condition_code: str | None = None
    restocked: bool


class Refund(Strict):
    id: str = Field(description="The refund request's id (refund_request.issued)")
    method: str
    status: str
    amount: float
    refunded_amount: float
    payment_account_id: str
    attempt: int
    error_code: str | None = None
    message: str | None = None


class ReturnResponse(Strict):
    id: str
    kind: Literal["referenced", "unreferenced", "blind"]
    origin: Literal["newstore", "external"] | None
    order_id: str | None = Field(description="The platform's order returned against")
    order_number: str = Field(description="The order's number, or the OMS's order id")
    return_order_id: str = Field(description="The order the return created in the platform")
    return_order_number: str
    returned_from: str
    store_id: str | None
    returned_at: str
    associate_id: str | None
    associate_email: str | None
    customer_id: str | None
    customer_email: str | None
    currency: str
    total_refund_amount: float
    total_refund_excl_tax: float
    total_refund_tax: float
    return_fee: float
    note: str | None
    items: list[ReturnedItem]
    refund: Refund


class ReturnListResponse(Strict):
    returns: list[ReturnResponse]
