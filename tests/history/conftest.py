"""An external OMS's order webhook on loopback, and the configuration that points at it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.order_webhook import API_KEY, OrderWebhook


@pytest.fixture(scope="module")
def webhook_server() -> Iterator[OrderWebhook]:
    server = OrderWebhook().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def webhook(webhook_server: OrderWebhook) -> Iterator[OrderWebhook]:
    webhook_server.reset()
    yield webhook_server
    webhook_server.reset()


def use_oms_history(
    api: httpx.Client, webhook: OrderWebhook, *, timeout: int = 5, api_key: str | None = API_KEY
) -> None:
    """What an integrator does: register the external order webhook, switch the OM UI on."""
    body = webhook.webhook_config(timeout=timeout, api_key=api_key)
    configured = api.put("/v0/config/external_order_webhook", json=body)
    assert configured.status_code == 200, configured.text
    switched = api.patch("/v0/config/associate_app", json={"use_new_om_ui": True})
    assert switched.status_code == 200, switched.text
