"""Configuration: what the rest of the platform reads, with documented defaults filled in.

These read functions return secrets in clear: they serve the platform's own outbound calls
(ATP webhook, external order webhook, payment provider, shipping adapter) and must never be
echoed to an API caller. Each is one primary-key read; call them inside the caller's session,
and make the outbound call after that transaction has ended.

The write side (used by the router and the CLI) lives in the submodules: ``settings``,
``webhooks``, ``fulfillment``; ``documents`` holds the versioned-write machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import repository
from cashwrap.config.schemas import (
    ALL_REFUND_OPTIONS,
    AssociateAppConfig,
    AvailabilityWebhook,
    EasypostAdapterConfig,
    ExternalOrderWebhook,
    FulfillmentConfiguration,
    OrderInjectionConfig,
    PaymentConfig,
    SalesOrderConfig,
    ShippingAdapterWebhook,
    StoreSettings,
)
from cashwrap.config.service import fulfillment as _fulfillment
from cashwrap.config.service import kept as _kept
from cashwrap.config.service import settings as _settings
from cashwrap.config.service import webhooks as _webhooks

__all__ = [
    "associate_app",
    "availability_webhook",
    "easypost_adapter",
    "external_oms_enabled",
    "external_order_webhook",
    "fulfillment_config",
    "order_injection",
    "payment_config",
    "refund_options",
    "routing_switch",
    "sales_order_config",
    "selling",
    "shipping_adapter",
    "store_settings",
]


async def external_oms_enabled(session: AsyncSession, tenant: str) -> bool:
    """True once the tenant runs with an external OMS (the platform then routes no orders)."""
    stored = await repository.read(session, tenant, _settings.EXTERNAL_OMS)
    return bool(stored.is_set and stored.value.get("enabled"))


async def routing_switch(session: AsyncSession, tenant: str, name: str) -> Any:
    """The stored value of a routing setting, or its documented default.

    ``uses_external_atp`` False; ``cancel_on_conflict`` ``{"default": True}``;
    ``skip_shipping_offer_update_for_dc_orders`` True; the other switches False. An unknown
    name raises ``NotFound``.
    """
    snapshot = await _settings.routing_switch(session, tenant, name)
    return snapshot.body


async def availability_webhook(session: AsyncSession, tenant: str) -> AvailabilityWebhook | None:
    stored = await repository.read(session, tenant, _webhooks.AVAILABILITY_WEBHOOK)
    return AvailabilityWebhook.model_validate(stored.value) if stored.is_set else None


async def external_order_webhook(session: AsyncSession, tenant: str) -> ExternalOrderWebhook | None:
    stored = await repository.read(session, tenant, _webhooks.EXTERNAL_ORDER_WEBHOOK)
    return ExternalOrderWebhook.model_validate(stored.value) if stored.is_set else None


async def shipping_adapter(session: AsyncSession, tenant: str) -> ShippingAdapterWebhook | None:
    """The custom shipping adapter webhook, if one is configured."""
    stored = await repository.read(session, tenant, _webhooks.SHIPPING_ADAPTER_WEBHOOK)
    return ShippingAdapterWebhook.model_validate(stored.value) if stored.is_set else None


async def easypost_adapter(session: AsyncSession, tenant: str) -> EasypostAdapterConfig | None:
    stored = await repository.read(session, tenant, _webhooks.EASYPOST_ADAPTER)
    return EasypostAdapterConfig.model_validate(stored.value) if stored.is_set else None


async def fulfillment_config(session: AsyncSession, tenant: str) -> FulfillmentConfiguration | None:
    """The one effective fulfillment configuration, whichever API wrote it; None until the
    tenant has routing (``PUT /v0/config/fulfillment`` or ``PUT /v0/routing/ruleset``)."""
    return await _fulfillment.effective(session, tenant)


async def associate_app(
    session: AsyncSession, tenant: str, *, max_age: float = 0.0
) -> AssociateAppConfig:
    """``max_age`` > 0: what this process read at most that long ago may serve (``kept``)."""

    async def read() -> AssociateAppConfig:
        snapshot = await _settings.associate_app(session, tenant)
        return AssociateAppConfig.model_validate(snapshot.body)

    return await _kept.reused(session, ("associate_app", tenant), max_age, read)


async def payment_config(session: AsyncSession, tenant: str) -> PaymentConfig:
    stored = await repository.read(session, tenant, _settings.PAYMENT)
    return PaymentConfig.model_validate(stored.value if stored.is_set else {})


async def refund_options(session: AsyncSession, tenant: str, store_id: str | None) -> list[str]:
    """The refund options a return may offer (a.4): the store's own list, else the global list,
    else every option (NewStore's default for returns)."""
    config = await payment_config(session, tenant)
    if store_id is not None and store_id in config.store_mapping:
        return list(config.store_mapping[store_id].refund_options)
    if config.refund_options is not None:
        return list(config.refund_options)
    return list(ALL_REFUND_OPTIONS)


async def store_settings(
    session: AsyncSession, tenant: str, store_id: str, *, max_age: float = 0.0
) -> StoreSettings:
    async def read() -> StoreSettings:
        stored = await repository.read(session, tenant, _settings.STORE_PREFIX + store_id)
        return StoreSettings.model_validate(stored.value if stored.is_set else {})

    return await _kept.reused(session, ("store", tenant, store_id), max_age, read)


@dataclass(frozen=True)
class SellingSettings:
    """What a checkout reads, in one query (:func:`selling`)."""

    sales_order: SalesOrderConfig
    associate_app: AssociateAppConfig
    payment: PaymentConfig
    external_oms_enabled: bool
    store: StoreSettings


async def selling(
    session: AsyncSession, tenant: str, store_id: str, *, max_age: float = 0.0
) -> SellingSettings:
    """The sales order, Associate App, payment, external OMS and store documents, read with
    their documented defaults as the single-document functions read them — in one query
    (``max_age`` as for :func:`associate_app`)."""
    return await _kept.reused(
        session, ("selling", tenant, store_id), max_age, lambda: _selling(session, tenant, store_id)
    )


async def _selling(session: AsyncSession, tenant: str, store_id: str) -> SellingSettings:
    store_document = _settings.STORE_PREFIX + store_id
    names = [
        _settings.SALES_ORDER,
        _settings.ASSOCIATE_APP,
        _settings.PAYMENT,
        _settings.EXTERNAL_OMS,
        store_document,
    ]
    found = await repository.read_many(session, tenant, names)

    def value(name: str) -> dict[str, Any]:
        stored = found[name]
        return dict(stored.value) if stored.is_set else {}

    return SellingSettings(
        sales_order=SalesOrderConfig.model_validate(value(_settings.SALES_ORDER)),
        associate_app=AssociateAppConfig.model_validate(value(_settings.ASSOCIATE_APP)),
        payment=PaymentConfig.model_validate(value(_settings.PAYMENT)),
        external_oms_enabled=bool(value(_settings.EXTERNAL_OMS).get("enabled")),
        store=StoreSettings.model_validate(value(store_document)),
    )


async def order_injection(session: AsyncSession, tenant: str) -> OrderInjectionConfig:
    stored = await repository.read(session, tenant, _settings.ORDER_INJECTION)
    value: dict[str, Any] = stored.value if stored.is_set else {}
    return OrderInjectionConfig(
        skip_soft_routing_on_injection=bool(value.get("skip_soft_routing_on_injection", False)),
        hard_limit_for_big_orders=_settings.hard_limit(value),
    )


async def sales_order_config(session: AsyncSession, tenant: str) -> SalesOrderConfig:
    stored = await repository.read(session, tenant, _settings.SALES_ORDER)
    return SalesOrderConfig.model_validate(stored.value if stored.is_set else {})
