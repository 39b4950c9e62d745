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

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"


def connector_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    assert blocks, "docs/integrating.md lost its example"
    return str(blocks[0])


def test_the_guide_s_connector_works_against_the_platform(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    # Locations, catalog, fulfillment configuration, carrier…
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
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
            webhook = {
                "url": f"{server.url}/availabilities",
                "api_key": key,
                "external_identifier": "product_id",
                "timeout": 5,
            }
            assert api.put("/v0/config/availability_webhook", json=webhook).status_code == 200
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
