"""The endpoints the platform calls: the ATP (availability) webhook, the external order webhook,
a custom shipping adapter, and the EasyPost adapter configuration.

Their keys are stored so the platform can present them on its own outbound calls, and are never
shown again: every API answer reads ``REDACTED`` in their place, and a PUT that sends
``REDACTED`` back keeps the stored key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import repository
from cashwrap.config.repository import StoredDocument
from cashwrap.config.schemas import (
    REDACTED,
    AvailabilityWebhook,
    EasypostAdapterConfig,
    WebhookEndpoint,
)
from cashwrap.config.service.documents import (
    NO_PRECONDITION,
    Precondition,
    SecretPath,
    Snapshot,
    keep_secrets,
    redacted,
    snapshot,
    write,
)
from cashwrap.core.errors import Forbidden, NotFound

AVAILABILITY_WEBHOOK = "availability_webhook"
EXTERNAL_ORDER_WEBHOOK = "external_order_webhook"
SHIPPING_ADAPTER_WEBHOOK = "shipping_adapter/webhook"
EASYPOST_ADAPTER = "shipping_adapter/easypost"

WEBHOOK_SECRETS: list[SecretPath] = [("api_key",)]
EASYPOST_SECRETS: list[SecretPath] = [("easypost_api_key",), ("newstore_password",)]

TITLES = {
    AVAILABILITY_WEBHOOK: "availability (ATP) webhook configuration",
    EXTERNAL_ORDER_WEBHOOK: "external order webhook configuration",
    SHIPPING_ADAPTER_WEBHOOK: "shipping adapter webhook configuration",
    EASYPOST_ADAPTER: "EasyPost adapter configuration",
}
FIXES = {
    AVAILABILITY_WEBHOOK: "PUT /v0/config/availability_webhook",
    EXTERNAL_ORDER_WEBHOOK: "PUT /v0/config/external_order_webhook",
    SHIPPING_ADAPTER_WEBHOOK: "PUT /v0/config/shipping_adapter",
    EASYPOST_ADAPTER: "PUT /fulfillment/adapters/config",
}


def _secrets(name: str) -> list[SecretPath]:
    return EASYPOST_SECRETS if name == EASYPOST_ADAPTER else WEBHOOK_SECRETS


def _require_set(name: str, stored: StoredDocument) -> None:
    if not stored.is_set:
        raise NotFound(
            f"no {TITLES[name]} is set; create it with {FIXES[name]}",
            code="not_found",
        )


async def get(session: AsyncSession, tenant: str, name: str) -> Snapshot:
    """The document with its secrets redacted; 404 when it is not set."""
    stored = await repository.read(session, tenant, name)
    _require_set(name, stored)
    return snapshot(stored, redacted(stored.value, _secrets(name)))


async def put(
    session: AsyncSession,
    tenant: str,
    name: str,
    body: AvailabilityWebhook | WebhookEndpoint | EasypostAdapterConfig,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    secrets = _secrets(name)

    def compute(current: StoredDocument) -> dict[str, Any]:
        value = dict(keep_secrets(body.model_dump(), current.value, secrets))
        if name == EASYPOST_ADAPTER:
            _keep_easypost_key(value, current)
        return value

    stored = await write(
        session,
        tenant,
        name,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what=TITLES[name],
    )
    return snapshot(stored, redacted(stored.value, secrets))


def _keep_easypost_key(value: dict[str, Any], current: StoredDocument) -> None:
    """NewStore forbids changing the EasyPost key once set: shipping options already issued
    under the old account would become invalid. DELETE the configuration to start over."""
    if not current.is_set:
        return
    stored_key = current.value.get("easypost_api_key")
    if stored_key and value["easypost_api_key"] != stored_key:
        raise Forbidden(
            "easypost_api_key cannot be changed once set (options already issued would become "
            f"invalid); send {REDACTED} to keep it, or DELETE /fulfillment/adapters/config "
            "first",
            code="easypost_api_key_immutable",
        )


async def delete(
    session: AsyncSession,
    tenant: str,
    name: str,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> None:
    """Unset the document (its version still grows, so stale ETags stay stale)."""

    def compute(current: StoredDocument) -> None:
        _require_set(name, current)

    await write(
        session,
        tenant,
        name,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what=TITLES[name],
    )
