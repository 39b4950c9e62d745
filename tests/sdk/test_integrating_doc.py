"""The connector of docs/integrating.md, run exactly as the guide prints it, against the
platform: ATP comes from it, the event stream reaches it, and it injects a store order."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Platform, TenantCredentials
from tests.sandbox.oms.conftest import Oms, eventually
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo
from tests.support.servers import ServerThread
from tests.support.stores import order_payload

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"


def connector_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    assert blocks, "docs/integrating.md lost its example"
    return str(blocks[0])


@pytest.fixture
def configured(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
) -> None:
    """Locations, catalog, fulfillment configuration, carrier… as the demo has them."""
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip


def point_atp_at(api: Any, url: str, key: str) -> None:
    webhook = {
        "url": f"{url}/availabilities",
        "api_key": key,
        "external_identifier": "product_id",
        "timeout": 5,
    }
    assert api.put("/v0/config/availability_webhook", json=webhook).status_code == 200


def test_the_guide_s_connector_works_against_the_platform(
    configured: None,
    platform: Platform,
    tenant: TenantCredentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    key = "connector-key-0123456789"
    for name, value in {
        "PLATFORM_URL": platform.url,
        "TENANT": tenant.tenant,
        "CLIENT_ID": tenant.client_id,
        "CLIENT_SECRET": tenant.client_secret,
        "OMS_API_KEY": key,
        "EVENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'events.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    connector: dict[str, Any] = {"__name__": "connector"}
    exec(compile(connector_source(), str(GUIDE), "exec"), connector)  # noqa: S102 - our own doc

    server = ServerThread(connector["app"], name="connector").start()
    try:
        server.call(lambda: connector["register_event_stream"](f"{server.url}/events"))
        with platform.client(tenant) as api:
            point_atp_at(api, server.url, key)
            answer = eventually(
                lambda: [
                    entry
                    for entry in api.post(
                        "/v0/availability",
                        json={
                            "products": [{"product_id": "1000061"}],
                            "fulfillment_locations": ["US01", "US02"],
                        },
                    ).json()["availabilities"]
                    if entry["fulfillment_location"] == "US01" and entry["atp"] == 5
                ],
                what="ATP from the connector",
            )
            assert answer[0]["source"] == "external"

            order_id = server.call(
                lambda: connector["send_to_store"]("MY-OMS-0001-R1", "US01", "1000061", 29.0)
            )
            eventually(lambda: order_id in connector["ORDERS"], what="order.created received")
            assert connector["ORDERS"][order_id].external_id == "MY-OMS-0001-R1"
            # The platform cancels it: the connector learns it (after its order.created).
            cancel = api.post(
                f"/v0/orders/{order_id}/cancel",
                params={"id_type": "internal"},
                json={"reason": "mispick"},
            )
            assert cancel.status_code == 200, cancel.text
            eventually(lambda: order_id in connector["CANCELLED"], what="order.cancelled")
    finally:
        server.stop()
        asyncio.run(connector["receiver"].store.close())


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_connector_source() -> str:
    readme = README.read_text()
    start = readme.index("## Integrating your OMS")
    section = readme[start : readme.index("\n## ", start + 1)]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the README's 'Integrating your OMS' lost its example"
    return str(blocks[0])


def test_the_readme_s_connector_answers_atp_and_hears_every_order(
    configured: None,
    platform: Platform,
    tenant: TenantCredentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    key = "readme-connector-key-0123"
    served: dict[str, Any] = {}

    async def connector_app(scope: Any, receive: Any, send: Any) -> None:
        await served["app"](scope, receive, send)

    # The callback's address is known before the connector exists: the secret it needs at
    # import comes from subscribing it, as the README says.
    server = ServerThread(connector_app, name="readme-connector")
    with platform.client(tenant) as api:
        subscribed = api.post(
            "/api/v1/org/integrations/eventstream",
            json={
                "id": "my-oms",
                "callback_parameters": {"callback_url": f"{server.url}/events", "api_key": key},
            },
        )
        assert subscribed.status_code in (200, 201), subscribed.text
        for name, value in {
            "OMS_API_KEY": key,
            "SIGNING_SECRET": subscribed.json()["signing_secret"],
            "EVENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'readme-events.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        connector: dict[str, Any] = {"__name__": "connector"}
        exec(compile(readme_connector_source(), str(README), "exec"), connector)  # noqa: S102
        served["app"] = connector["app"]
        server.start()
        try:
            point_atp_at(api, server.url, key)
            answer = api.post(
                "/v0/availability",
                json={"products": [{"product_id": "1000061"}], "fulfillment_locations": ["US01"]},
            ).json()["availabilities"]
            assert [(a["atp"], a["source"]) for a in answer] == [(5, "external")]

            injected = api.post("/v0/d/fulfill_order", json=order_payload(products=("1000061",)))
            assert injected.status_code == 200, injected.text
            order_id = injected.json()["id"]
            eventually(lambda: order_id in connector["ORDERS"], what="order.created received")
        finally:
            server.stop()
            asyncio.run(connector["receiver"].store.close())
