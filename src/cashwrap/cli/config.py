"""``cashwrap config``: read and set a tenant's configuration documents from the command line.

The same services as the API: same validation, same versions (a CLI write is a new version),
secrets redacted on output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.cli.common import (
    DatabaseOption,
    fail,
    prepare,
    print_json,
    run_in_transaction,
    settings,
)
from cashwrap.config import schemas
from cashwrap.config.service import fulfillment, webhooks
from cashwrap.config.service import settings as config_settings
from cashwrap.config.service.documents import Precondition, Snapshot, parse
from cashwrap.core.errors import NotFound
from cashwrap.tenants import service as tenants

app = typer.Typer(help="A tenant's configuration documents.", no_args_is_help=True)
BY = "cli"

Reader = Callable[[AsyncSession, str], Awaitable[Snapshot]]
Writer = Callable[[AsyncSession, str, Any], Awaitable[Snapshot]]


async def _legacy(session: AsyncSession, tenant: str) -> Snapshot:
    return (await fulfillment.legacy(session, tenant))[0]


async def _ruleset(session: AsyncSession, tenant: str) -> Snapshot:
    return (await fulfillment.ruleset(session, tenant, countries=False))[0]


def _webhook_reader(name: str) -> Reader:
    async def read(session: AsyncSession, tenant: str) -> Snapshot:
        return await webhooks.get(session, tenant, name)

    return read


def _webhook_writer(name: str, model: type[Any]) -> Writer:
    async def write(session: AsyncSession, tenant: str, data: Any) -> Snapshot:
        return await webhooks.put(session, tenant, name, parse(model, data), updated_by=BY)

    return write


async def _put_order_injection(session: AsyncSession, tenant: str, data: Any) -> Snapshot:
    current = await config_settings.order_injection(session, tenant)
    return await config_settings.write_order_injection(
        session,
        tenant,
        parse(schemas.OrderInjectionTenantConfiguration, data),
        replace=True,
        precondition=Precondition(version=str(current.version)),
        updated_by=BY,
    )


DOCUMENTS: dict[str, tuple[Reader, Writer]] = {
    "external_oms": (
        config_settings.external_oms,
        lambda s, t, d: config_settings.put_external_oms(
            s, t, parse(schemas.ExternalOmsConfig, d), updated_by=BY
        ),
    ),
    "sales_order": (
        config_settings.sales_order,
        lambda s, t, d: config_settings.put_sales_order(
            s, t, parse(schemas.SalesOrderConfig, d), updated_by=BY
        ),
    ),
    "associate_app": (
        config_settings.associate_app,
        lambda s, t, d: config_settings.put_associate_app(
            s, t, parse(schemas.AssociateAppConfig, d), updated_by=BY
        ),
    ),
    "payment": (
        config_settings.payment,
        lambda s, t, d: config_settings.put_payment(
            s, t, parse(schemas.PaymentConfig, d), updated_by=BY
        ),
    ),
    "order_injection": (config_settings.order_injection, _put_order_injection),
    "fulfillment": (
        _legacy,
        lambda s, t, d: fulfillment.put_legacy(
            s, t, parse(schemas.FulfillmentConfigDocument, d), updated_by=BY
        ),
    ),
    "ruleset": (
        _ruleset,
        lambda s, t, d: fulfillment.put_ruleset(
            s, t, parse(schemas.RoutingRuleset, d), countries=False, updated_by=BY
        ),
    ),
    "availability_webhook": (
        _webhook_reader(webhooks.AVAILABILITY_WEBHOOK),
        _webhook_writer(webhooks.AVAILABILITY_WEBHOOK, schemas.AvailabilityWebhook),
    ),
    "external_order_webhook": (
        _webhook_reader(webhooks.EXTERNAL_ORDER_WEBHOOK),
        _webhook_writer(webhooks.EXTERNAL_ORDER_WEBHOOK, schemas.ExternalOrderWebhook),
    ),
    "shipping_adapter": (
        _webhook_reader(webhooks.SHIPPING_ADAPTER_WEBHOOK),
        _webhook_writer(webhooks.SHIPPING_ADAPTER_WEBHOOK, schemas.ShippingAdapterWebhook),
    ),
    "easypost_adapter": (
        _webhook_reader(webhooks.EASYPOST_ADAPTER),
        _webhook_writer(webhooks.EASYPOST_ADAPTER, schemas.EasypostAdapterConfig),
    ),
}
NAMES_HELP = ", ".join(DOCUMENTS) + ", routing/<setting> (value as the document), stores/<store_id>"


def _resolve(name: str) -> tuple[Reader, Writer]:
    if name in DOCUMENTS:
        return DOCUMENTS[name]
    if name.startswith("routing/"):
        switch = name.removeprefix("routing/")

        async def read_switch(session: AsyncSession, tenant: str) -> Snapshot:
            return await config_settings.routing_switch(session, tenant, switch)

        async def write_switch(session: AsyncSession, tenant: str, data: Any) -> Snapshot:
            return await config_settings.put_routing_switch(
                session, tenant, switch, data, updated_by=BY
            )

        return read_switch, write_switch
    if name.startswith("stores/"):
        store_id = name.removeprefix("stores/")

        async def read_store(session: AsyncSession, tenant: str) -> Snapshot:
            return await config_settings.store(session, tenant, store_id)

        async def write_store(session: AsyncSession, tenant: str, data: Any) -> Snapshot:
            return await config_settings.put_store(
                session, tenant, store_id, parse(schemas.StoreSettingsRequest, data), updated_by=BY
            )

        return read_store, write_store
    fail(f"unknown document {name!r}; documents: {NAMES_HELP}", code="unknown_document")
    raise AssertionError  # fail() exits


async def _require_tenant(session: AsyncSession, tenant: str) -> None:
    if not await tenants.tenant_exists(session, tenant):
        raise NotFound(f"tenant {tenant!r} does not exist", code="tenant_not_found")


@app.command("show")
def show(
    tenant: str = typer.Option(..., "--tenant", help="The tenant."),
    name: str | None = typer.Argument(None, help=f"One document: {NAMES_HELP}."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Print one configuration document, or every document that is set (secrets redacted)."""
    current = settings(database_url)
    prepare(current)
    names = [name] if name else list(DOCUMENTS)
    readers = [(each, _resolve(each)[0]) for each in names]

    async def work(session: AsyncSession) -> dict[str, Any]:
        await _require_tenant(session, tenant)
        shown: dict[str, Any] = {}
        for each, reader in readers:
            try:
                shown[each] = (await reader(session, tenant)).body
            except NotFound:
                if name:
                    raise
        return shown

    documents = run_in_transaction(current, work)
    print_json(documents[name] if name else documents)


@app.command("set")
def set_document(
    name: str = typer.Argument(..., help=f"The document: {NAMES_HELP}."),
    source: str = typer.Argument(..., help="A JSON file with the document, or - for stdin."),
    tenant: str = typer.Option(..., "--tenant", help="The tenant."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Replace a configuration document with the JSON of a file (validated as the API does)."""
    current = settings(database_url)
    prepare(current)
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    try:
        data = json.loads(text)
    except ValueError as error:
        fail(f"{source} is not JSON: {error}", code="invalid_json")
    writer = _resolve(name)[1]

    async def work(session: AsyncSession) -> Snapshot:
        await _require_tenant(session, tenant)
        return await writer(session, tenant, data)

    snapshot = run_in_transaction(current, work)
    print_json(snapshot.body)
