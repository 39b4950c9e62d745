"""The pre-requisites the configuration decides, one check each, with the API call that fixes it.

Each check reads in its own read-only session; none calls out.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.config.service import fulfillment as fulfillment_config
from cashwrap.config.service import settings as config_settings
from cashwrap.doctor.checks.base import (
    Check,
    CheckContext,
    CheckResult,
    failed,
    passed,
    skipped,
    warned,
)

SEED_EXAMPLE = {
    "fulfillment_config": {
        "provider_rates": {
            "Priority": {
                "return_provider_rate": "",
                "service_level": "Priority",
                "shipping_carrier_name": "USPS",
                "shipping_type": "traditional_carrier",
                "use_as_customer_facing_cost": False,
            }
        },
        "routes": [
            {
                "destination_region": {"countries": ["US"], "zip_codes": ["*"]},
                "fulfilled_by": {
                    "Priority": [
                        {"fulfillment_node_id": "<location id>", "provider_rate": "Priority"}
                    ]
                },
            }
        ],
        "service_levels": {
            "Priority": {
                "currency_code": "USD",
                "delivery_time": "2-4 business days",
                "delivery_time_after_cutoff_hour": "",
                "display_name": "Priority",
                "price": 0,
                "remorse_period": 0,
                "tax_code": "",
            }
        },
        "sl_levels_priority": ["Priority"],
    }
}
WEBHOOK = {"url": "https://<your OMS>/<path>", "api_key": "<at least 20 characters>", "timeout": 15}


def call(method: str, path: str, body: Any = None) -> str:
    """How a fix is written: ``PUT /v0/config/external_oms {"enabled": true}``."""
    return f"{method} {path}" if body is None else f"{method} {path} {json.dumps(body)}"


async def _read(context: CheckContext, work: Any) -> Any:
    session: AsyncSession
    async with context.database.sessions() as session:
        return await work(session, context.tenant)


async def external_oms(context: CheckContext) -> CheckResult:
    if await _read(context, config.external_oms_enabled):
        return passed("the external OMS is enabled; the platform does not route orders itself")
    return failed(
        "the external OMS is not enabled: the platform would route orders itself",
        call("PUT", "/v0/config/external_oms", {"enabled": True}),
    )


async def sales_order(context: CheckContext) -> CheckResult:
    current = await _read(context, config.sales_order_config)
    if current.enabled:
        return passed("the platform accepts orders")
    return failed(
        "the sales order configuration is not enabled: the platform accepts no orders",
        call("PUT", "/v0/config/sales_order", {**current.model_dump(), "enabled": True}),
    )


async def external_order_webhook(context: CheckContext) -> CheckResult:
    webhook = await _read(context, config.external_order_webhook)
    fix = call("PUT", "/v0/config/external_order_webhook", WEBHOOK)
    if webhook is None:
        return failed(
            "no external order webhook: the Associate App cannot show purchase history or "
            "order details from the external OMS",
            fix,
        )
    if webhook.api_key is None:
        return warned(
            f"the external order webhook {webhook.url} has no api_key: order reads through the "
            "Sales Orders API answer 412 precondition_error",
            call(
                "PUT",
                "/v0/config/external_order_webhook",
                {**WEBHOOK, "url": webhook.url, "timeout": webhook.timeout},
            ),
        )
    return passed(f"purchase history and order details come from {webhook.url}")


async def use_new_om_ui(context: CheckContext) -> CheckResult:
    app = await _read(context, config.associate_app)
    if app.use_new_om_ui:
        return passed("the Associate App reads orders through the external order webhook")
    return failed(
        "use_new_om_ui is false: the Associate App does not use the external OMS UI",
        call("PATCH", "/v0/config/associate_app", {"use_new_om_ui": True}),
    )


async def _payment_document(context: CheckContext) -> dict[str, Any]:
    snapshot = await _read(context, config_settings.payment)
    body: dict[str, Any] = snapshot.body
    return body


async def use_charge_api(context: CheckContext) -> CheckResult:
    payment = await _payment_document(context)
    if payment["use_charge_api"]:
        return passed("endless-aisle and mixed-cart payments are pre-captured")
    return failed(
        "use_charge_api is false: endless-aisle and mixed-cart orders cannot be paid",
        call("PATCH", "/v0/config/payment", {"use_charge_api": True}),
    )


async def shipping_adapter(context: CheckContext) -> CheckResult:
    custom = await _read(context, config.shipping_adapter)
    easypost = await _read(context, config.easypost_adapter)
    if custom is not None and easypost is not None:
        return passed(f"EasyPost and a custom shipping adapter ({custom.url}) are configured")
    if custom is not None:
        return passed(f"custom shipping adapter at {custom.url}")
    if easypost is not None:
        return passed("the EasyPost shipping adapter is configured")
    return failed(
        "no shipping adapter: endless-aisle and BOPIS orders get no shipping options",
        call("PUT", "/v0/config/shipping_adapter", WEBHOOK)
        + "; or, for EasyPost, "
        + call("PUT", "/fulfillment/adapters/config", {"easypost_api_key": "<EasyPost API key>"}),
    )


async def fulfillment(context: CheckContext) -> CheckResult:
    stored = await _read(context, fulfillment_config.read)
    if not stored.is_set or stored.value["routing"] is None:
        return failed(
            "there is no fulfillment configuration: endless-aisle checkout and store "
            "fulfillment need one even with an external OMS",
            call("PUT", "/v0/config/fulfillment", SEED_EXAMPLE),
        )
    found = fulfillment_config.problems(stored.value)
    if found:
        return failed(
            "; ".join(message for _, message in found),
            call("PUT", "/v0/config/fulfillment", SEED_EXAMPLE) + " (a corrected configuration)",
        )
    effective = fulfillment_config.normalize(stored.value, stored.version)
    assert effective is not None
    if not effective.service_levels:
        return warned(
            "the routing names service levels but none is defined (no display name, price or "
            "currency): checkout cannot offer them",
            call("PUT", "/v0/config/fulfillment", SEED_EXAMPLE),
        )
    missing = [
        level
        for level in effective.sl_levels_priority
        if effective.provider_rate_for(level) is None
    ]
    if missing:
        return failed(
            "no provider rate for service level " + ", ".join(repr(level) for level in missing),
            call(
                "PUT",
                f"/fulfillment/provider-rates/{missing[0]}",
                {
                    "carrier_defined_service_level": missing[0],
                    "return_provider_rate_id": "",
                    "service_level_id": missing[0],
                    "shipping_carrier_name": "<carrier>",
                    "shipping_type": "traditional_carrier",
                    "use_as_customer_facing_cost": False,
                },
            ),
        )
    return passed(
        f"{len(effective.service_levels)} service level(s) "
        f"({', '.join(effective.sl_levels_priority)}), {len(effective.routes)} route(s), "
        f"{len(effective.node_ids())} fulfillment node(s); every service level is in every "
        "route and in sl_levels_priority"
    )


async def mixed_cart(context: CheckContext) -> CheckResult:
    app = await _read(context, config.associate_app)
    stores = await _read(context, config_settings.stores)
    enabled = sorted(store for store, settings in stores.items() if settings.mixed_cart)
    if not app.capabilities.mixed_cart:
        return skipped(
            "mixed cart is off (needed only for mixed-cart orders)",
            call("PATCH", "/v0/config/associate_app", {"capabilities": {"mixed_cart": True}})
            + " and "
            + call("PUT", "/v0/config/stores/<store_id>", {"mixed_cart": True}),
        )
    if not enabled:
        return warned(
            "mixed cart is on for the retailer but no store enables it",
            call("PUT", "/v0/config/stores/<store_id>", {"mixed_cart": True}),
        )
    return passed("mixed cart is on for the retailer and for store(s) " + ", ".join(enabled))


async def availability_webhook(context: CheckContext) -> CheckResult:
    webhook = await _read(context, config.availability_webhook)
    if webhook is None:
        return failed(
            "no ATP webhook: endless-aisle and mixed-cart checkout cannot ask the external OMS "
            "for availability",
            call(
                "PUT",
                "/v0/config/availability_webhook",
                {**WEBHOOK, "external_identifier": "product_id"},
            ),
        )
    return passed(f"ATP is requested from {webhook.url} (timeout {webhook.timeout} s)")


async def uses_external_atp(context: CheckContext) -> CheckResult:
    enabled = await _read(
        context, lambda session, tenant: config.routing_switch(session, tenant, "uses_external_atp")
    )
    webhook = await _read(context, config.availability_webhook)
    if not enabled:
        return failed(
            "uses_external_atp is false: ATP comes from the platform's own stock",
            call("POST", "/v0/config/routing/uses_external_atp", {"value": True}),
        )
    if webhook is None:
        return failed(
            "uses_external_atp is true but no ATP webhook is registered: every product reads "
            "as unavailable",
            call(
                "PUT",
                "/v0/config/availability_webhook",
                {**WEBHOOK, "external_identifier": "product_id"},
            ),
        )
    return passed("ATP is requested from the external OMS")


async def refund_options(context: CheckContext) -> CheckResult:
    payment = await _payment_document(context)
    wanted = ["original", "external"]
    options = payment["refund_options"]
    fix_options = list(dict.fromkeys([*(options or []), *wanted]))
    fix = call("PATCH", "/v0/config/payment", {"refund_options": fix_options})
    if options is None:
        return failed("no global refund options are configured", fix)
    lacking = [option for option in wanted if option not in options]
    if lacking:
        return failed(
            "the global refund options lack "
            + " and ".join(lacking)
            + ": returns cannot refund to the original payment method",
            fix,
        )
    stores = {
        store: list(dict.fromkeys([*mapping["refund_options"], *wanted]))
        for store, mapping in sorted(payment["store_mapping"].items())
        if not set(wanted) <= set(mapping["refund_options"])
    }
    if stores:
        return warned(
            "store(s) " + ", ".join(stores) + " override the refund options without "
            "original and external",
            call(
                "PATCH",
                "/v0/config/payment",
                {
                    "store_mapping": {
                        store: {"refund_options": options} for store, options in stores.items()
                    }
                },
            ),
        )
    return passed("refund options: " + ", ".join(options))


async def payment_provider(context: CheckContext) -> CheckResult:
    payment = await _payment_document(context)
    provider = payment["provider"]
    if provider is None:
        return failed(
            "no payment provider webhook: returns of external orders cannot be refunded",
            call("PATCH", "/v0/config/payment", {"provider": WEBHOOK}),
        )
    return passed(f"payment provider webhook at {provider['url']}")


async def order_injection(context: CheckContext) -> CheckResult:
    snapshot = await _read(context, config_settings.order_injection)
    if snapshot.body["value"].get("skip_soft_routing_on_injection"):
        return passed("injected orders with a service level are not soft-routed")
    return failed(
        "skip_soft_routing_on_injection is false: injected store-fulfillment orders are "
        "soft-routed and may be cancelled",
        call(
            "PATCH",
            f"/v1/r/config/order_injection?version={snapshot.version}",
            {"skip_soft_routing_on_injection": True},
        ),
    )


EXTERNAL_OMS = Check("external_oms_enabled", "External OMS configuration enabled", external_oms)
SALES_ORDER = Check("sales_order_enabled", "Sales order configuration enabled", sales_order)
EXTERNAL_ORDER_WEBHOOK = Check(
    "external_order_webhook",
    "Webhook for purchase history and order details registered",
    external_order_webhook,
)
USE_NEW_OM_UI = Check(
    "use_new_om_ui", "Associate App uses the external OMS UI (use_new_om_ui)", use_new_om_ui
)
USE_CHARGE_API = Check("use_charge_api", "Payment configuration: use_charge_api", use_charge_api)
SHIPPING_ADAPTER = Check(
    "shipping_adapter", "Shipping adapter configured (EasyPost or custom)", shipping_adapter
)
FULFILLMENT = Check(
    "fulfillment_configuration",
    "Fulfillment configuration valid (service levels, routes, provider rates)",
    fulfillment,
)
MIXED_CART = Check("mixed_cart", "Mixed cart enabled for the retailer and its stores", mixed_cart)
AVAILABILITY_WEBHOOK = Check("availability_webhook", "ATP webhook registered", availability_webhook)
USES_EXTERNAL_ATP = Check(
    "uses_external_atp",
    "ATP requested from the external OMS (uses_external_atp)",
    uses_external_atp,
)
REFUND_OPTIONS = Check(
    "refund_options", "Refund options include original and external", refund_options
)
PAYMENT_PROVIDER = Check(
    "payment_provider",
    "Placeholder payment adapter registered (returns of external orders)",
    payment_provider,
)
ORDER_INJECTION = Check(
    "skip_soft_routing_on_injection",
    "Order injection skips soft routing (store fulfillment)",
    order_injection,
)
