"""An external OMS's ATP endpoint on loopback, and configuration set through the API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest

from tests.support.oms_endpoint import OmsEndpoint


@pytest.fixture(scope="module")
def oms_server() -> Iterator[OmsEndpoint]:
    endpoint = OmsEndpoint().start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture
def oms(oms_server: OmsEndpoint) -> Iterator[OmsEndpoint]:
    oms_server.reset()
    yield oms_server
    oms_server.reset()


def use_external_atp(api: httpx.Client, webhook: Mapping[str, Any]) -> None:
    """What an integrator does (a.8): configure the webhook, then switch external ATP on."""
    configured = api.put("/v0/config/availability_webhook", json=dict(webhook))
    assert configured.status_code == 200, configured.text
    switched = api.post("/v0/config/routing/uses_external_atp", json={"value": True})
    assert switched.status_code == 200, switched.text


def fulfillment_config(
    routes: Sequence[tuple[Sequence[str], Sequence[str], Mapping[str, Sequence[str]]]],
) -> dict[str, Any]:
    """The seed's fulfillment document: routes of (countries, zip codes, {level: [nodes]})."""
    levels = sorted({level for _, _, fulfilled_by in routes for level in fulfilled_by})
    return {
        "fulfillment_config": {
            "provider_rates": {
                level: {
                    "return_provider_rate": "",
                    "service_level": level,
                    "shipping_carrier_name": "USPS",
                    "shipping_type": "traditional_carrier",
                    "use_as_customer_facing_cost": False,
                }
                for level in levels
            },
            "routes": [
                {
                    "destination_region": {"countries": list(countries), "zip_codes": list(zips)},
                    "fulfilled_by": {
                        level: [
                            {"fulfillment_node_id": node, "provider_rate": level} for node in nodes
                        ]
                        for level, nodes in fulfilled_by.items()
                    },
                }
                for countries, zips, fulfilled_by in routes
            ],
            "service_levels": {
                level: {
                    "currency_code": "USD",
                    "delivery_time": "2-4 business days",
                    "delivery_time_after_cutoff_hour": "",
                    "display_name": level,
                    "price": 0,
                    "remorse_period": 0,
                    "tax_code": "",
                }
                for level in levels
            },
            "sl_levels_priority": levels,
        }
    }


def configure_fulfillment(
    api: httpx.Client,
    routes: Sequence[tuple[Sequence[str], Sequence[str], Mapping[str, Sequence[str]]]],
) -> None:
    response = api.put("/v0/config/fulfillment", json=fulfillment_config(routes))
    assert response.status_code == 200, response.text
