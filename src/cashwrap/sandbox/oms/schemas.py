"""Bodies of the sandbox OMS's admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

EMAIL = r"^[^@\s]+@[^@\s]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StockEntry(_Strict):
    fulfillment_location: str = Field(min_length=1, max_length=256)
    product_id: str = Field(min_length=1, max_length=256)
    atp: int = Field(ge=0, le=1_000_000_000)


class StockUpdate(_Strict):
    """``PUT /_sandbox/stock``: absolute quantities; ``replace`` forgets every other entry."""

    stock: list[StockEntry] = Field(max_length=10_000)
    replace: bool = False


class PlatformSettings(_Strict):
    """``PUT /_sandbox/platform``: where the platform is and the OMS's client there."""

    url: str = Field(min_length=1, max_length=2048, description="The platform's base URL")
    tenant: str = Field(min_length=1, max_length=128)
    client_id: str = Field(min_length=1, max_length=256)
    client_secret: str = Field(min_length=1, max_length=1024)
    token_url: str | None = Field(default=None, max_length=2048)
    signing_secret: str | None = Field(
        default=None,
        max_length=1024,
        description="The event-stream integration's whsec_… secret: deliveries must be signed",
    )

    @field_validator("url", "token_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("signing_secret")
    @classmethod
    def _whsec(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("whsec_"):
            raise ValueError("must be the integration's signing secret (whsec_…)")
        return value


class SeedItem(_Strict):
    id: str = Field(min_length=1, max_length=128)
    product_id: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=256)
    price: float = Field(ge=0)
    tax: float = Field(default=0, ge=0)
    status: Literal["pending", "in_fulfillment", "on_hold", "complete", "cancelled", "returned"] = (
        "complete"
    )
    origin_id: str | None = Field(default=None, max_length=128)


class SeedPayment(_Strict):
    method: str = Field(min_length=1, max_length=64)
    amount: float = Field(gt=0)
    category: Literal["payment", "refund"] = "payment"
    payment_information: str | None = Field(default=None, max_length=256)


class SeedOrder(_Strict):
    """An order placed in the OMS itself (``origin`` external unless said otherwise)."""

    id: str = Field(min_length=1, max_length=128)
    customer_email: str | None = Field(default=None, pattern=EMAIL, max_length=256)
    customer_token: str | None = Field(default=None, max_length=256)
    customer_name: str | None = Field(default=None, max_length=256)
    placed_at: datetime
    channel_type: Literal["web", "store"] = "store"
    origin: Literal["newstore", "external"] = "external"
    origin_id: str | None = Field(default=None, max_length=128)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    fulfillment_type: Literal[
        "traditional", "same_day_delivery", "in_store_pickup", "in_store_purchase", "multiple"
    ] = "in_store_purchase"
    items: list[SeedItem] = Field(min_length=1, max_length=500)
    payments: list[SeedPayment] = Field(default_factory=list, max_length=40)
    store_id: str | None = Field(default=None, max_length=256)

    @field_validator("placed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone (RFC 3339)")
        return value


class SeedOrders(_Strict):
    orders: list[SeedOrder] = Field(min_length=1, max_length=1000)


class GenerateOrders(_Strict):
    """``POST /_sandbox/orders/_generate``: ``count`` orders of one customer, one a day back
    from now, numbered ``<prefix>000001`` …"""

    customer_email: str = Field(pattern=EMAIL, max_length=256)
    count: int = Field(ge=1, le=1000)
    prefix: str = Field(default="EXT", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    product_id: str = Field(default="1000061", min_length=1, max_length=256)
    payment_method: str = Field(default="credit_card", min_length=1, max_length=64)


def order_view(order: Any, fulfillments: list[Any]) -> dict[str, Any]:
    """An order as the admin API shows it: the webhook document, and the OMS's own state."""
    document = {k: v for k, v in order.document.items() if not k.startswith("_")}
    document["items"] = [
        {k: v for k, v in item.items() if not k.startswith("_")} for item in document["items"]
    ]
    return {
        **document,
        "paid": order.paid,
        "platform_status": order.platform_status,
        "customer_email": order.customer_email,
        "fulfillments": [fulfillment_view(f) for f in fulfillments],
    }


def fulfillment_view(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "order_id": f.order_id,
        "kind": f.kind,
        "location": f.location,
        "item_ids": f.item_ids,
        "service_level": f.service_level,
        "attempt": f.attempt,
        "tried_locations": f.tried_locations,
        "external_id": f.external_id,
        "platform_order_id": f.platform_order_id,
        "status": f.status,
        "reason": f.reason,
        "http_attempts": f.http_attempts,
        "tracking_code": f.tracking_code,
        "request": f.request,
    }
