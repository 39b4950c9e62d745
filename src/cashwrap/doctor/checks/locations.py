"""Checks on the data the external OMS must have sent: locations, catalog, ATP that answers.

Each reads in its own short transaction; the ATP probe calls the OMS only after that
transaction has ended.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog import service as catalog
from cashwrap.config import service as config
from cashwrap.doctor.checks.base import (
    Check,
    CheckContext,
    CheckResult,
    failed,
    passed,
    skipped,
    warned,
)
from cashwrap.locations import service as locations
from cashwrap.outbound import oms
from cashwrap.outbound.http import OutboundHttp

PROBE_PRODUCT = "cashwrap-doctor-probe"
PROBE_LOCATIONS = 10


def _import_fix(entity: str, record: dict[str, Any]) -> str:
    member = "availabilities.jsonl" if entity == "availabilities" else "products.jsonl"
    return (
        f"import a zip holding {member} with lines like {json.dumps(record)}: "
        f'POST /v0/d/import {{"provider": "oms", "source_uri": "<zip uri>", '
        f'"entities": ["{entity}"], "full_import": false}} and POST /v0/d/import/<id>/start '
        f"(or `cashwrap import <zip>`)"
    )


async def _read(context: CheckContext, work: Any) -> Any:
    session: AsyncSession
    async with context.database.transaction() as session:
        return await work(session, context.tenant)


async def fulfillment_locations(context: CheckContext) -> CheckResult:
    rows = await _read(context, locations.list_locations)
    if not rows:
        return failed(
            "no fulfillment location exists: store-fulfillment orders would be cancelled and "
            "endless-aisle checkout would show 'Products not available'",
            _import_fix(
                "availabilities",
                {"fulfillment_node_id": "<location id>", "product_id": "<any>", "quantity": 0},
            ),
        )
    stores = sum(1 for row in rows if row.store_id)
    return passed(f"{len(rows)} fulfillment locations ({stores} of them stores)")


async def catalog_not_empty(context: CheckContext) -> CheckResult:
    count = await _read(context, catalog.count_products)
    if not count:
        return failed(
            "the catalog is empty: the products the external OMS sells are unknown here",
            _import_fix("products", {"product_id": "<id>", "title": "<title>"}),
        )
    return passed(f"{count} products in the catalog")


async def route_nodes_are_locations(context: CheckContext) -> CheckResult:
    async def read(session: AsyncSession, tenant: str) -> tuple[Any, set[str]]:
        fulfillment = await config.fulfillment_config(session, tenant)
        known = await locations.known_location_ids(session, tenant)
        return fulfillment, known

    fulfillment, known = await _read(context, read)
    if fulfillment is None:
        return skipped("no fulfillment configuration yet (see fulfillment_configuration)")
    nodes = fulfillment.node_ids()
    missing = sorted(nodes - known)
    if missing:
        return failed(
            f"routes name fulfillment nodes the platform does not know: {', '.join(missing)}; "
            "orders routed there are cancelled and checkout cannot ship from them",
            _import_fix(
                "availabilities",
                {"fulfillment_node_id": missing[0], "product_id": "<any>", "quantity": 0},
            ),
        )
    return passed(f"all {len(nodes)} fulfillment nodes of the routes are known locations")


async def atp_webhook_probe(context: CheckContext) -> CheckResult:
    async def read(session: AsyncSession, tenant: str) -> tuple[Any, list[str], list[str]]:
        webhook = await config.availability_webhook(session, tenant)
        known = sorted(await locations.known_location_ids(session, tenant))[:PROBE_LOCATIONS]
        products = await catalog.some_product_ids(session, tenant, 1)
        return webhook, known, products

    webhook, known, products = await _read(context, read)
    if webhook is None:
        return skipped("no ATP webhook to probe (see availability_webhook)")
    target = oms.AvailabilityTarget(
        url=webhook.url, api_key=webhook.api_key, timeout_seconds=float(webhook.timeout)
    )
    asked_products = products or [PROBE_PRODUCT]
    asked_locations = known or ["cashwrap-doctor-probe"]
    if isinstance(context.http, OutboundHttp):
        answer = await oms.request_availabilities(
            context.http, target, asked_products, asked_locations
        )
    else:
        async with OutboundHttp() as http:
            answer = await oms.request_availabilities(http, target, asked_products, asked_locations)
    shape = json.dumps(oms.availability_request(asked_products, asked_locations))
    if not answer.ok:
        detail = f" ({answer.detail})" if answer.detail else ""
        return failed(
            f"the ATP webhook {webhook.url} did not answer the probe: {answer.reason}{detail}; "
            "every product reads as unavailable at checkout",
            f"make POST {webhook.url} with 'Authorization: Bearer <api_key>' and {shape} answer "
            '200 {"availabilities": [{"product_id", "external_identifier", '
            '"fulfillment_location", "atp"}]} within '
            f"{webhook.timeout} s",
        )
    milliseconds = round(answer.elapsed * 1000)
    if answer.elapsed > webhook.timeout / 2:
        return warned(
            f"the ATP webhook answered in {milliseconds} ms, over half its {webhook.timeout} s "
            "timeout: a little slower and checkouts will see nothing available",
            "make the OMS answer faster, or raise the timeout: PUT /v0/config/availability_webhook",
        )
    return passed(
        f"the ATP webhook answered the probe in {milliseconds} ms with "
        f"{len(answer.entries)} availabilities in the documented shape"
    )


FULFILLMENT_LOCATIONS = Check(
    "fulfillment_locations",
    "Fulfillment locations exist (availability import per location)",
    fulfillment_locations,
)
CATALOG = Check("catalog_not_empty", "Catalog synchronized (products imported)", catalog_not_empty)
ROUTE_NODES = Check(
    "route_nodes_are_locations",
    "Every fulfillment node of the routes is a known location",
    route_nodes_are_locations,
)
ATP_PROBE = Check(
    "atp_webhook_probe",
    "The ATP webhook answers a probe in the documented shape and in time",
    atp_webhook_probe,
)
