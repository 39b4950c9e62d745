"""Concurrent writers of one versioned document: exactly one of them wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from tests.config.support import seed_fulfillment

WRITERS = 8


def race(platform, tenant, send: Callable[[httpx.Client, int], httpx.Response]) -> list[int]:
    """Run ``send`` from ``WRITERS`` threads released at the same instant; their statuses."""
    clients = [platform.client(tenant) for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = [0] * WRITERS

    def writer(index: int) -> None:
        barrier.wait()
        statuses[index] = send(clients[index], index).status_code

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return statuses


def test_same_order_injection_version_exactly_one_wins(platform, tenant, api):
    api.post(
        "/v1/r/config/order_injection",
        params={"version": "1"},
        json={"skip_soft_routing_on_injection": True},
    )
    statuses = race(
        platform,
        tenant,
        lambda client, index: client.patch(
            "/v1/r/config/order_injection",
            params={"version": "2"},
            json={"big_sales_order": {"hard_limit_for_big_orders": 100 + index}},
        ),
    )
    assert sorted(statuses) == [200] + [409] * (WRITERS - 1)
    assert api.get("/v1/r/config/order_injection").json()["version"] == "3"


def test_creating_with_version_1_concurrently_exactly_one_wins(platform, tenant, api):
    statuses = race(
        platform,
        tenant,
        lambda client, _index: client.post(
            "/v1/r/config/order_injection",
            params={"version": "1"},
            json={"skip_soft_routing_on_injection": True},
        ),
    )
    assert sorted(statuses) == [200] + [409] * (WRITERS - 1)


def test_same_if_match_on_the_fulfillment_configuration_exactly_one_wins(platform, tenant, api):
    etag = api.put("/v0/config/fulfillment", json=seed_fulfillment()).headers["etag"]

    def send(client: httpx.Client, index: int) -> httpx.Response:
        document = seed_fulfillment()
        document["fulfillment_config"]["routes"][0]["fulfilled_by"]["Priority"][0][
            "fulfillment_node_id"
        ] = f"N{index}"
        return client.put("/v0/config/fulfillment", json=document, headers={"If-Match": etag})

    statuses = race(platform, tenant, send)
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)


def test_same_if_match_on_the_ruleset_patch_exactly_one_wins(platform, tenant, api):
    from tests.config.test_ruleset import ruleset

    etag = api.put("/v0/routing/ruleset", json=ruleset()).headers["etag"]
    statuses = race(
        platform,
        tenant,
        lambda client, index: client.patch(
            "/v0/routing/ruleset",
            json=[{"op": "add", "path": "/location_groups/2_DAY::WEST/-", "value": f"N{index}"}],
            headers={"If-Match": etag},
        ),
    )
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
    assert len(api.get("/v0/routing/ruleset").json()["location_groups"]["2_DAY::WEST"]) == 4


def test_unconditional_writers_are_serialized_and_none_is_lost(platform, tenant, api):
    statuses = race(
        platform,
        tenant,
        lambda client, index: client.post(
            "/v0/routing/shipments_limit",
            json={
                "currency": "USD",
                "service_level": f"LEVEL_{index}",
                "limit_exceeded_when": [{"shipment_count_gt": 1, "order_amount_lt": 10}],
            },
        ),
    )
    assert statuses == [204] * WRITERS
    limits = api.get("/v0/routing/shipments_limit").json()["shipments_limit"]
    assert sorted(limit["service_level"] for limit in limits) == [
        f"LEVEL_{index}" for index in range(WRITERS)
    ]
