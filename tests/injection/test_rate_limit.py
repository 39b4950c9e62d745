"""The per-tenant rate limit of order injection (its own platform: a limit of 2 per second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashwrap.app import create_app
from tests.conftest import Platform, platform_settings
from tests.support.servers import ServerThread
from tests.support.stores import order_payload


@pytest.fixture(scope="module")
def limited(database_url: str) -> Iterator[Platform]:
    settings = platform_settings(
        database_url,
        injection_rate_limit_per_second=0.5,
        injection_rate_limit_burst=2,
        dispatcher_enabled=False,
        fulfillment_handover_poll_seconds=0,
    )
    server = ServerThread(create_app(settings), name="limited").start()
    try:
        yield Platform(server=server, settings=settings)
    finally:
        server.stop()


def test_over_the_rate_a_tenant_gets_429_with_retry_after(limited):
    first, second = limited.create_tenant(), limited.create_tenant()
    with limited.client(first) as api, limited.client(second) as other:
        answers = [api.post("/v0/d/fulfill_order", json=order_payload()) for _ in range(3)]
        assert [answer.status_code for answer in answers[:2]] != [429, 429]
        throttled = answers[2]
        assert throttled.status_code == 429, throttled.text
        assert throttled.json()["error_code"] == "too_many_requests"
        assert int(throttled.headers["Retry-After"]) >= 1
        # Another tenant has its own budget.
        assert other.post("/v0/d/fulfill_order", json=order_payload()).status_code != 429
