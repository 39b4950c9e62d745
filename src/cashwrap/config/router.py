"""The configuration APIs: paths and status codes; behaviour lives in ``service``.

Every document answers ``GET`` with an ``ETag`` and honours ``If-Match`` on writes (412 on a
mismatch); order injection also takes ``?version=`` (409 ``conflict_version``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from cashwrap.api.deps import CurrentPrincipal, DbSession
from cashwrap.config.schemas import (
    AssociateAppConfig,
    AvailabilityWebhook,
    EasypostAdapterConfig,
    ExternalOmsConfig,
    ExternalOrderWebhook,
    FulfillmentConfigDocument,
    OrderInjectionTenantConfiguration,
    PaymentConfig,
    ReplaceProviderRateSchema,
    RoutingRuleset,
    RoutingSwitchRequest,
    RulesetSection,
    SalesOrderConfig,
    ShipmentLimitsRequest,
    ShippingAdapterWebhook,
    StoreSettingsRequest,
)
from cashwrap.config.service import fulfillment, settings, webhooks
from cashwrap.config.service.documents import Precondition, Snapshot

router = APIRouter(tags=["configuration"])

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="ETag from a previous GET; the write applies only if it still matches (412).",
    ),
]
NEWSTORE = "as documented by NewStore"
CASHWRAP = "defined by cashwrap"


def _answer(
    snapshot: Snapshot, *, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        snapshot.body, status_code=status, headers={"ETag": snapshot.etag, **(headers or {})}
    )


def _no_content(snapshot: Snapshot | None = None) -> Response:
    headers = {"ETag": snapshot.etag} if snapshot is not None else {}
    return Response(status_code=204, headers=headers)


def _version_1(header: str | None) -> bool:
    """``application/json; version=1``: routes carry ``countries[]``."""
    if not header:
        return False
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "version" and value.strip().strip('"') == "1":
            return True
    return False


# --- order injection (a.6) -------------------------------------------------------------------


@router.get("/v1/r/config/order_injection", summary=f"Order injection configuration ({NEWSTORE})")
async def get_order_injection(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.order_injection(session, principal.tenant))


async def _write_order_injection(
    session: DbSession,
    principal: CurrentPrincipal,
    body: OrderInjectionTenantConfiguration,
    version: str,
    if_match: str | None,
    *,
    replace: bool,
) -> JSONResponse:
    snapshot = await settings.write_order_injection(
        session,
        principal.tenant,
        body,
        replace=replace,
        precondition=Precondition(if_match=if_match, version=version),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.patch(
    "/v1/r/config/order_injection",
    summary=f"Update part of the order injection configuration ({NEWSTORE})",
)
async def patch_order_injection(
    principal: CurrentPrincipal,
    session: DbSession,
    body: OrderInjectionTenantConfiguration,
    version: Annotated[str, Query(description="The latest version from GET.")],
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _write_order_injection(session, principal, body, version, if_match, replace=False)


@router.post(
    "/v1/r/config/order_injection",
    summary=f"Create or replace the order injection configuration ({NEWSTORE})",
)
async def post_order_injection(
    principal: CurrentPrincipal,
    session: DbSession,
    body: OrderInjectionTenantConfiguration,
    version: Annotated[str, Query(description="1 to create, else the latest version from GET.")],
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _write_order_injection(session, principal, body, version, if_match, replace=True)


# --- routing switches and shipment limits (a.7) ------------------------------------------------


@router.get("/v0/routing/shipments_limit", summary=f"List shipments limits ({NEWSTORE})")
async def get_shipments_limits(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.shipments_limits(session, principal.tenant))


@router.post(
    "/v0/routing/shipments_limit",
    status_code=204,
    summary=f"Upsert the shipments limit of a (currency, service level) pair ({NEWSTORE})",
)
async def post_shipments_limit(
    principal: CurrentPrincipal,
    session: DbSession,
    body: ShipmentLimitsRequest,
    if_match: IfMatch = None,
) -> Response:
    snapshot = await settings.upsert_shipments_limit(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _no_content(snapshot)


@router.get("/v0/config/routing/{name}", summary=f"A routing setting ({NEWSTORE})")
async def get_routing_switch(
    name: str, principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    snapshot = await settings.routing_switch(session, principal.tenant, name)
    return _answer(_switch_body(snapshot))


@router.post("/v0/config/routing/{name}", summary=f"Set a routing setting ({NEWSTORE})")
async def post_routing_switch(
    name: str,
    principal: CurrentPrincipal,
    session: DbSession,
    body: RoutingSwitchRequest,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_routing_switch(
        session,
        principal.tenant,
        name,
        body.value,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(_switch_body(snapshot))


def _switch_body(snapshot: Snapshot) -> Snapshot:
    body = {"value": snapshot.body, "updated_at": snapshot.updated_at_text}
    return Snapshot(body, snapshot.version, snapshot.updated_at, snapshot.updated_by)


# --- fulfillment configuration, ruleset, provider rates (a.7) ----------------------------------


@router.get(
    "/v0/config/fulfillment",
    summary=f"The fulfillment configuration as the seed's document ({CASHWRAP})",
)
async def get_fulfillment(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    snapshot, stored_version = await fulfillment.legacy(session, principal.tenant)
    return _answer(snapshot, headers={"X-Fulfillment-Config-Version": str(stored_version)})


@router.put(
    "/v0/config/fulfillment",
    summary=f"Replace the whole fulfillment configuration ({CASHWRAP})",
)
async def put_fulfillment(
    principal: CurrentPrincipal,
    session: DbSession,
    body: FulfillmentConfigDocument,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.put_legacy(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot, headers={"X-Fulfillment-Config-Version": "1"})


@router.get("/v0/routing/ruleset", summary=f"The routing ruleset ({NEWSTORE})")
async def get_ruleset(
    principal: CurrentPrincipal,
    session: DbSession,
    accept: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    snapshot, stored_version = await fulfillment.ruleset(
        session, principal.tenant, countries=_version_1(accept)
    )
    return _answer(snapshot, headers={"X-Fulfillment-Config-Version": str(stored_version)})


@router.put(
    "/v0/routing/ruleset",
    status_code=201,
    summary=f"Seed or replace the routing ruleset ({NEWSTORE})",
)
async def put_ruleset(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    body: RoutingRuleset,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.put_ruleset(
        session,
        principal.tenant,
        body,
        countries=_version_1(request.headers.get("content-type")),
        precondition=Precondition(if_match=if_match, if_match_when_unset=False),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot, status=201, headers={"X-Fulfillment-Config-Version": "2"})


@router.patch(
    "/v0/routing/ruleset",
    summary=f"Change the routing ruleset with a JSON Patch ({NEWSTORE})",
)
async def patch_ruleset(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    operations: Annotated[list[dict[str, Any]], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.patch_ruleset(
        session,
        principal.tenant,
        operations,
        countries=_version_1(request.headers.get("content-type")),
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot, headers={"X-Fulfillment-Config-Version": "2"})


@router.get("/v0/routing/ruleset/{section}", summary=f"One section of the ruleset ({NEWSTORE})")
async def get_ruleset_section(
    section: RulesetSection, principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    return _answer(await fulfillment.ruleset_section(session, principal.tenant, section))


@router.get("/fulfillment/provider-rates", summary=f"List provider rates ({NEWSTORE})")
async def list_provider_rates(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await fulfillment.provider_rates(session, principal.tenant))


@router.get(
    "/fulfillment/provider-rates/{provider_rate_id}", summary=f"A provider rate ({NEWSTORE})"
)
async def get_provider_rate(
    provider_rate_id: str, principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    return _answer(await fulfillment.provider_rate(session, principal.tenant, provider_rate_id))


@router.put(
    "/fulfillment/provider-rates/{provider_rate_id}",
    summary=f"Create or replace a provider rate ({NEWSTORE})",
)
async def put_provider_rate(
    provider_rate_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    body: ReplaceProviderRateSchema,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.put_provider_rate(
        session,
        principal.tenant,
        provider_rate_id,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.delete(
    "/fulfillment/provider-rates/{provider_rate_id}",
    summary=f"Delete a provider rate ({NEWSTORE})",
)
async def delete_provider_rate(
    provider_rate_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.delete_provider_rate(
        session,
        principal.tenant,
        provider_rate_id,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.get(
    "/fulfillment/provider-rate-priorities",
    summary=f"Provider rates in priority order, per service level ({NEWSTORE})",
)
async def get_provider_rate_priorities(
    principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    return _answer(await fulfillment.provider_rate_priorities(session, principal.tenant))


@router.put(
    "/fulfillment/provider-rate-priorities",
    summary=f"Replace the provider rate priorities ({NEWSTORE})",
)
async def put_provider_rate_priorities(
    principal: CurrentPrincipal,
    session: DbSession,
    body: Annotated[dict[str, list[str]], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await fulfillment.put_provider_rate_priorities(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


# --- external OMS, sales order, Associate App, payment, stores ---------------------------------


@router.get("/v0/config/external_oms", summary=f"External OMS configuration ({CASHWRAP} path)")
async def get_external_oms(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.external_oms(session, principal.tenant))


@router.put(
    "/v0/config/external_oms", summary=f"Enable or disable the external OMS ({CASHWRAP} path)"
)
async def put_external_oms(
    principal: CurrentPrincipal,
    session: DbSession,
    body: ExternalOmsConfig,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_external_oms(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.get("/v0/config/sales_order", summary=f"Sales order configuration ({CASHWRAP})")
async def get_sales_order(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.sales_order(session, principal.tenant))


@router.put("/v0/config/sales_order", summary=f"Replace the sales order configuration ({CASHWRAP})")
async def put_sales_order(
    principal: CurrentPrincipal,
    session: DbSession,
    body: SalesOrderConfig,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_sales_order(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.get("/v0/config/associate_app", summary=f"Associate App configuration ({CASHWRAP} path)")
async def get_associate_app(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.associate_app(session, principal.tenant))


@router.put(
    "/v0/config/associate_app",
    summary=f"Replace the Associate App configuration ({CASHWRAP} path)",
)
async def put_associate_app(
    principal: CurrentPrincipal,
    session: DbSession,
    body: AssociateAppConfig,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_associate_app(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.patch(
    "/v0/config/associate_app",
    summary=f"Change the Associate App configuration with a JSON merge patch ({CASHWRAP} path)",
)
async def patch_associate_app(
    principal: CurrentPrincipal,
    session: DbSession,
    patch: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.patch_associate_app(
        session,
        principal.tenant,
        patch,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.get("/v0/config/payment", summary=f"Payment configuration ({CASHWRAP} path)")
async def get_payment(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.payment(session, principal.tenant))


@router.put("/v0/config/payment", summary=f"Replace the payment configuration ({CASHWRAP} path)")
async def put_payment(
    principal: CurrentPrincipal,
    session: DbSession,
    body: PaymentConfig,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_payment(
        session,
        principal.tenant,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.patch(
    "/v0/config/payment",
    summary=f"Change the payment configuration with a JSON merge patch ({CASHWRAP})",
)
async def patch_payment(
    principal: CurrentPrincipal,
    session: DbSession,
    patch: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.patch_payment(
        session,
        principal.tenant,
        patch,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


@router.get("/v0/config/stores/{store_id}", summary=f"Settings of one store ({CASHWRAP})")
async def get_store(store_id: str, principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await settings.store(session, principal.tenant, store_id))


@router.put("/v0/config/stores/{store_id}", summary=f"Replace the settings of a store ({CASHWRAP})")
async def put_store(
    store_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    body: StoreSettingsRequest,
    if_match: IfMatch = None,
) -> JSONResponse:
    snapshot = await settings.put_store(
        session,
        principal.tenant,
        store_id,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


# --- webhooks the platform calls (a.8, a.9, a.11) ----------------------------------------------


async def _put_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    name: str,
    body: AvailabilityWebhook
    | ExternalOrderWebhook
    | ShippingAdapterWebhook
    | EasypostAdapterConfig,
    if_match: str | None,
) -> JSONResponse:
    snapshot = await webhooks.put(
        session,
        principal.tenant,
        name,
        body,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _answer(snapshot)


async def _delete_webhook(
    session: DbSession, principal: CurrentPrincipal, name: str, if_match: str | None
) -> Response:
    await webhooks.delete(
        session,
        principal.tenant,
        name,
        precondition=Precondition(if_match=if_match),
        updated_by=principal.subject,
    )
    await session.commit()
    return _no_content()


@router.get(
    "/v0/config/availability_webhook",
    summary=f"The ATP webhook configuration ({CASHWRAP} path)",
)
async def get_availability_webhook(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await webhooks.get(session, principal.tenant, webhooks.AVAILABILITY_WEBHOOK))


@router.put(
    "/v0/config/availability_webhook",
    summary=f"Set the ATP webhook configuration ({CASHWRAP} path)",
)
async def put_availability_webhook(
    principal: CurrentPrincipal,
    session: DbSession,
    body: AvailabilityWebhook,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _put_webhook(session, principal, webhooks.AVAILABILITY_WEBHOOK, body, if_match)


@router.delete(
    "/v0/config/availability_webhook",
    status_code=204,
    summary=f"Delete the ATP webhook configuration ({CASHWRAP} path)",
)
async def delete_availability_webhook(
    principal: CurrentPrincipal, session: DbSession, if_match: IfMatch = None
) -> Response:
    return await _delete_webhook(session, principal, webhooks.AVAILABILITY_WEBHOOK, if_match)


@router.get(
    "/v0/config/external_order_webhook",
    summary=f"The external order webhook configuration ({CASHWRAP} path)",
)
async def get_external_order_webhook(
    principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    return _answer(await webhooks.get(session, principal.tenant, webhooks.EXTERNAL_ORDER_WEBHOOK))


@router.put(
    "/v0/config/external_order_webhook",
    summary=f"Set the external order webhook configuration ({CASHWRAP} path)",
)
async def put_external_order_webhook(
    principal: CurrentPrincipal,
    session: DbSession,
    body: ExternalOrderWebhook,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _put_webhook(session, principal, webhooks.EXTERNAL_ORDER_WEBHOOK, body, if_match)


@router.delete(
    "/v0/config/external_order_webhook",
    status_code=204,
    summary=f"Delete the external order webhook configuration ({CASHWRAP} path)",
)
async def delete_external_order_webhook(
    principal: CurrentPrincipal, session: DbSession, if_match: IfMatch = None
) -> Response:
    return await _delete_webhook(session, principal, webhooks.EXTERNAL_ORDER_WEBHOOK, if_match)


@router.get(
    "/v0/config/shipping_adapter",
    summary=f"The custom shipping adapter webhook ({CASHWRAP})",
)
async def get_shipping_adapter(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await webhooks.get(session, principal.tenant, webhooks.SHIPPING_ADAPTER_WEBHOOK))


@router.put(
    "/v0/config/shipping_adapter",
    summary=f"Set the custom shipping adapter webhook ({CASHWRAP})",
)
async def put_shipping_adapter(
    principal: CurrentPrincipal,
    session: DbSession,
    body: ShippingAdapterWebhook,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _put_webhook(session, principal, webhooks.SHIPPING_ADAPTER_WEBHOOK, body, if_match)


@router.delete(
    "/v0/config/shipping_adapter",
    status_code=204,
    summary=f"Delete the custom shipping adapter webhook ({CASHWRAP})",
)
async def delete_shipping_adapter(
    principal: CurrentPrincipal, session: DbSession, if_match: IfMatch = None
) -> Response:
    return await _delete_webhook(session, principal, webhooks.SHIPPING_ADAPTER_WEBHOOK, if_match)


@router.get(
    "/fulfillment/adapters/config",
    summary=f"The EasyPost adapter configuration, credentials redacted ({NEWSTORE})",
)
async def get_easypost_adapter(principal: CurrentPrincipal, session: DbSession) -> JSONResponse:
    return _answer(await webhooks.get(session, principal.tenant, webhooks.EASYPOST_ADAPTER))


@router.put(
    "/fulfillment/adapters/config",
    summary=f"Create or replace the EasyPost adapter configuration ({NEWSTORE})",
)
async def put_easypost_adapter(
    principal: CurrentPrincipal,
    session: DbSession,
    body: EasypostAdapterConfig,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _put_webhook(session, principal, webhooks.EASYPOST_ADAPTER, body, if_match)


@router.delete(
    "/fulfillment/adapters/config",
    status_code=204,
    summary=f"Delete the EasyPost adapter configuration ({NEWSTORE})",
)
async def delete_easypost_adapter(
    principal: CurrentPrincipal, session: DbSession, if_match: IfMatch = None
) -> Response:
    return await _delete_webhook(session, principal, webhooks.EASYPOST_ADAPTER, if_match)
