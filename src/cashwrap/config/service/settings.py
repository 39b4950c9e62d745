"""The settings documents: external OMS, sales order, Associate App, payment, stores, order
injection, routing switches and shipment limits.

Each document is read with its documented defaults filled in, so a tenant that never wrote one
behaves exactly as the reference says an unconfigured tenant does.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import repository
from cashwrap.config.repository import StoredDocument
from cashwrap.config.schemas import (
    AssociateAppConfig,
    CancellationPolicySettingsValue,
    ExternalOmsConfig,
    OrderInjectionConfigurationBigSalesOrder,
    OrderInjectionTenantConfiguration,
    PaymentConfig,
    SalesOrderConfig,
    ShipmentLimitsRequest,
    StoreSettings,
    StoreSettingsRequest,
)
from cashwrap.config.service.documents import (
    NO_PRECONDITION,
    Precondition,
    Snapshot,
    invalid_from,
    keep_secrets,
    merge_patch,
    parse,
    redacted,
    snapshot,
    write,
)
from cashwrap.core import clock, money
from cashwrap.core.errors import InvalidInput, NotFound

EXTERNAL_OMS = "external_oms"
SALES_ORDER = "sales_order"
ASSOCIATE_APP = "associate_app"
PAYMENT = "payment"
ORDER_INJECTION = "order_injection"
SHIPMENTS_LIMIT = "routing/shipments_limit"
STORE_PREFIX = "store/"
PAYMENT_SECRETS = [("provider", "api_key")]
MAX_SHIPMENTS_LIMITS = 10_000

ORDER_INJECTION_DEFAULT: dict[str, Any] = {"skip_soft_routing_on_injection": False}

ROUTING_SWITCHES: dict[str, Any] = {
    "uses_external_atp": False,
    "can_update_ffr_processed_externally": False,
    "cancel_on_conflict": {"default": True},
    "enable_automatic_rerouting": False,
    "enable_capacity_based_routing": False,
    "reroute_to_rejected_fulfillment_nodes": False,
    "skip_shipping_offer_update_for_dc_orders": True,
}
"""Every routing switch of the routing-config API with its documented default."""

_BOOLEAN = TypeAdapter(bool, config={"strict": True})


def _set_or(stored: StoredDocument, default: Any) -> Any:
    return stored.value if stored.is_set else default


# --- external OMS, sales order, Associate App, payment, stores ---------------------------------


async def _replace(
    session: AsyncSession,
    tenant: str,
    name: str,
    value: dict[str, Any],
    *,
    precondition: Precondition,
    updated_by: str,
    what: str,
) -> Snapshot:
    """Store ``value`` (validated already) as the whole document ``name``."""
    stored = await write(
        session, tenant, name, lambda _current: value,
        precondition=precondition, updated_by=updated_by, what=what,
    )  # fmt: skip
    return snapshot(stored, value)


async def external_oms(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, EXTERNAL_OMS)
    return snapshot(stored, _set_or(stored, {"enabled": False}))


async def put_external_oms(
    session: AsyncSession,
    tenant: str,
    body: ExternalOmsConfig,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    return await _replace(
        session, tenant, EXTERNAL_OMS, body.model_dump(),
        precondition=precondition, updated_by=updated_by, what="external OMS configuration",
    )  # fmt: skip


async def sales_order(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, SALES_ORDER)
    return snapshot(stored, SalesOrderConfig.model_validate(_set_or(stored, {})).model_dump())


async def put_sales_order(
    session: AsyncSession,
    tenant: str,
    body: SalesOrderConfig,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    return await _replace(
        session, tenant, SALES_ORDER, body.model_dump(),
        precondition=precondition, updated_by=updated_by, what="sales order configuration",
    )  # fmt: skip


def _associate_app_value(stored: StoredDocument) -> dict[str, Any]:
    return AssociateAppConfig.model_validate(_set_or(stored, {})).model_dump()


async def associate_app(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, ASSOCIATE_APP)
    return snapshot(stored, _associate_app_value(stored))


async def put_associate_app(
    session: AsyncSession,
    tenant: str,
    body: AssociateAppConfig,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    return await _replace(
        session, tenant, ASSOCIATE_APP, body.model_dump(),
        precondition=precondition, updated_by=updated_by, what="Associate App configuration",
    )  # fmt: skip


async def patch_associate_app(
    session: AsyncSession,
    tenant: str,
    patch: dict[str, Any],
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """RFC 7396 merge patch over the current document (defaults included); the result is
    validated whole, so a patch cannot leave an invalid document behind."""

    def compute(current: StoredDocument) -> dict[str, Any]:
        merged = merge_patch(_associate_app_value(current), patch)
        return parse(AssociateAppConfig, merged).model_dump()

    stored = await write(
        session,
        tenant,
        ASSOCIATE_APP,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what="Associate App configuration",
    )
    return snapshot(stored, stored.value)


def _payment_value(stored: StoredDocument) -> dict[str, Any]:
    return PaymentConfig.model_validate(_set_or(stored, {})).model_dump()


async def payment(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, PAYMENT)
    return snapshot(stored, redacted(_payment_value(stored), PAYMENT_SECRETS))


async def put_payment(
    session: AsyncSession,
    tenant: str,
    body: PaymentConfig,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    def compute(current: StoredDocument) -> dict[str, Any]:
        return dict(keep_secrets(body.model_dump(), current.value, PAYMENT_SECRETS))

    stored = await write(
        session,
        tenant,
        PAYMENT,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what="payment configuration",
    )
    return snapshot(stored, redacted(stored.value, PAYMENT_SECRETS))


async def patch_payment(
    session: AsyncSession,
    tenant: str,
    patch: dict[str, Any],
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """RFC 7396 merge patch over the stored document; the result is validated whole."""

    def compute(current: StoredDocument) -> dict[str, Any]:
        merged = merge_patch(_payment_value(current), patch)
        checked = parse(PaymentConfig, merged).model_dump()
        return dict(keep_secrets(checked, current.value, PAYMENT_SECRETS))

    stored = await write(
        session,
        tenant,
        PAYMENT,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what="payment configuration",
    )
    return snapshot(stored, redacted(stored.value, PAYMENT_SECRETS))


def store_document(store_id: str) -> str:
    if not 1 <= len(store_id) <= 256 or store_id != store_id.strip():
        raise InvalidInput(
            "store_id: 1-256 characters without surrounding spaces", code="invalid_store_id"
        )
    return STORE_PREFIX + store_id


async def store(session: AsyncSession, tenant: str, store_id: str) -> Snapshot:
    stored = await repository.read(session, tenant, store_document(store_id))
    return snapshot(stored, StoreSettings.model_validate(_set_or(stored, {})).model_dump())


async def put_store(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    body: StoreSettingsRequest,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    value = StoreSettings.model_validate(body.model_dump()).model_dump()
    return await _replace(
        session, tenant, store_document(store_id), value,
        precondition=precondition, updated_by=updated_by, what=f"configuration of store {store_id}",
    )  # fmt: skip


async def stores(session: AsyncSession, tenant: str) -> dict[str, StoreSettings]:
    """Every store that has settings, by store id."""
    documents = await repository.read_prefixed(session, tenant, STORE_PREFIX)
    return {
        document.name.removeprefix(STORE_PREFIX): StoreSettings.model_validate(document.value)
        for document in documents
    }


# --- order injection (a.6) -------------------------------------------------------------------


def order_injection_body(stored: StoredDocument) -> dict[str, Any]:
    """The ``OrderInjectionConfigurationResponse`` of the reference."""
    return {
        "value": _set_or(stored, dict(ORDER_INJECTION_DEFAULT)),
        "version": str(stored.version),
        "updated_at": None if stored.updated_at is None else clock.isoformat(stored.updated_at),
        "updated_by": stored.updated_by,
    }


async def order_injection(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, ORDER_INJECTION)
    return snapshot(stored, order_injection_body(stored))


async def write_order_injection(
    session: AsyncSession,
    tenant: str,
    body: OrderInjectionTenantConfiguration,
    *,
    replace: bool,
    precondition: Precondition,
    updated_by: str,
) -> Snapshot:
    """POST replaces the value (``replace``), PATCH changes only the members it sends
    (``null`` removes one). Both require ``?version=`` to be the latest version."""
    given = body.model_dump(exclude_unset=True)

    def compute(current: StoredDocument) -> dict[str, Any]:
        base: dict[str, Any] = (
            {} if replace else dict(_set_or(current, dict(ORDER_INJECTION_DEFAULT)))
        )
        for key, value in given.items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    stored = await write(
        session,
        tenant,
        ORDER_INJECTION,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what="order injection configuration",
    )
    return snapshot(stored, order_injection_body(stored))


def hard_limit(value: dict[str, Any]) -> int | None:
    big = value.get("big_sales_order")
    if not isinstance(big, dict):
        return None
    return int(
        OrderInjectionConfigurationBigSalesOrder.model_validate(big).hard_limit_for_big_orders
    )


# --- routing switches and shipment limits (a.7) ------------------------------------------------


def _switch_document(name: str) -> str:
    if name not in ROUTING_SWITCHES:
        raise NotFound(
            f"there is no routing setting {name!r}; the settings are "
            + ", ".join(sorted(ROUTING_SWITCHES)),
            code="not_found",
        )
    return f"routing/{name}"


def routing_switch_value(name: str, stored: StoredDocument) -> Any:
    return stored.value["value"] if stored.is_set else ROUTING_SWITCHES[name]


def validate_routing_switch(name: str, value: Any) -> Any:
    try:
        if name == "cancel_on_conflict":
            policy = CancellationPolicySettingsValue.model_validate(value)
            return policy.model_dump(exclude_none=True)
        return _BOOLEAN.validate_python(value)
    except ValidationError as error:
        raise invalid_from(error, prefix="value") from None


async def routing_switch(session: AsyncSession, tenant: str, name: str) -> Snapshot:
    stored = await repository.read(session, tenant, _switch_document(name))
    return snapshot(stored, routing_switch_value(name, stored))


async def put_routing_switch(
    session: AsyncSession,
    tenant: str,
    name: str,
    value: Any,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    document = _switch_document(name)
    checked = validate_routing_switch(name, value)
    stored = await write(
        session,
        tenant,
        document,
        lambda _current: {"value": checked},
        precondition=precondition,
        updated_by=updated_by,
        what=f"routing setting {name}",
    )
    return snapshot(stored, checked)


async def shipments_limits(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await repository.read(session, tenant, SHIPMENTS_LIMIT)
    return snapshot(stored, {"shipments_limit": _set_or(stored, [])})


async def upsert_shipments_limit(
    session: AsyncSession,
    tenant: str,
    body: ShipmentLimitsRequest,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Insert or replace the limit of one (``currency``, ``service_level``) pair."""
    if body.currency != body.currency.upper() or not money.is_currency(body.currency):
        raise InvalidInput(
            f"currency: {body.currency!r} is not an ISO 4217 code such as 'USD'",
            code="invalid_currency",
        )
    for index, rule in enumerate(body.limit_exceeded_when):
        money.to_minor(
            rule.order_amount_lt,
            body.currency,
            field=f"limit_exceeded_when.{index}.order_amount_lt",
        )
    entry = body.model_dump()

    def compute(current: StoredDocument) -> list[dict[str, Any]]:
        kept = [
            limit
            for limit in _set_or(current, [])
            if (limit["currency"], limit["service_level"]) != (body.currency, body.service_level)
        ]
        if len(kept) >= MAX_SHIPMENTS_LIMITS:
            raise InvalidInput(
                f"a tenant has at most {MAX_SHIPMENTS_LIMITS} shipments limits",
                code="too_many_shipments_limits",
            )
        return [*kept, entry]

    stored = await write(
        session,
        tenant,
        SHIPMENTS_LIMIT,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what="shipments limits",
    )
    return snapshot(stored, {"shipments_limit": stored.value})
