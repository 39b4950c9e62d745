"""The database goes away and comes back (a restart, a fail-over, an administrator closing
connections): the OMS's requests are answered ``503 database_unavailable`` with ``Retry-After``
while it is away — never a 500 — and once it is back the same requests succeed, each order once,
its events delivered, without restarting the platform.

PostgreSQL only: the embedded SQLite file has no server to lose.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cashwrap.app import create_app
from tests.conftest import Platform, platform_of_its_own, platform_settings
from tests.events.sink import Sink
from tests.injection.test_fulfill_order import assert_problem
from tests.support import databases
from tests.support.servers import ServerThread
from tests.support.silent_network import SilentNetwork
from tests.support.stores import StoreTenant, order_payload, prepare

pytestmark = pytest.mark.skipif(
    not databases.kind().startswith("postgres"), reason="a database server to lose"
)


@pytest.fixture
def own_platform(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    """A platform on a database of its own, whose connections this test may close."""
    with platform_of_its_own(tmp_path, "outage") as platform:
        yield platform, platform.settings.database_url.rsplit("/", 1)[1]


@pytest.fixture
def outage_store(
    own_platform: tuple[Platform, str], tmp_path: Path, oms_sink: tuple[Sink, str]
) -> Iterator[StoreTenant]:
    platform, _ = own_platform
    credentials = platform.create_tenant()
    with platform.client(credentials) as api:
        yield prepare(api, credentials.tenant, tmp_path, oms_sink)


def admin(statement: str, *arguments: str) -> None:
    asyncio.run(databases.postgres_admin(statement, *arguments))


def close_connections(name: str) -> None:
    admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )


def test_closed_connections_are_replaced_without_a_failed_request(own_platform, outage_store):
    _, name = own_platform
    for _ in range(3):
        outage_store.injected(order_payload())  # the pool holds connections
    close_connections(name)
    time.sleep(0.3)  # the platform's driver hears of the closes
    payloads = [order_payload() for _ in range(12)]
    answers = [outage_store.inject(payload) for payload in payloads]
    assert [answer.status_code for answer in answers] == [200] * 12
    order_id = answers[-1].json()["id"]
    assert outage_store.order(order_id)["id"] == payloads[-1]["external_id"]
    # The event dispatcher lost its connections too, and delivers what came after.
    outage_store.wait_event("order.created", lambda payload: payload["id"] == order_id)


def test_requests_during_an_outage_get_503_and_succeed_when_it_ends(own_platform, outage_store):
    platform, name = own_platform
    payload = order_payload()
    admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    close_connections(name)
    try:
        time.sleep(0.3)
        refused = outage_store.inject(payload)
        problem = assert_problem(refused, "database_unavailable", status=503)
        assert refused.headers["Retry-After"] == "1"
        assert "retry" in problem["message"]
        assert "127.0.0.1" not in refused.text  # where the database lives is not the client's
        read = outage_store.api.get(f"/v0/orders/{payload['external_id']}?id_type=external")
        assert_problem(read, "database_unavailable", status=503)
        with httpx.Client(base_url=platform.url) as anonymous:
            assert_problem(anonymous.get("/health/ready"), "database_unavailable", status=503)
    finally:
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    created = outage_store.injected(payload)  # the OMS retries the same request
    assert outage_store.injected(payload) == created
    assert outage_store.order(created["id"])["id"] == payload["external_id"]
    outage_store.wait_event("order.created", lambda body: body["id"] == created["id"])
    created_events = [
        event
        for event in outage_store.events("order.created")
        if event["payload"]["id"] == created["id"]
    ]
    assert len(created_events) == 1


def test_a_connection_lost_while_the_order_is_written_is_503_and_the_retry_creates_it_once(
    own_platform, outage_store
):
    platform, _ = own_platform
    payload = order_payload()
    with databases.connection_lost_on_insert(
        platform.settings.database_url, "orders", outage_store.tenant
    ):
        lost = outage_store.inject(payload)
    assert_problem(lost, "database_unavailable", status=503)
    missing = outage_store.api.get(f"/v0/orders/{payload['external_id']}?id_type=external")
    assert missing.status_code == 404
    created = outage_store.injected(payload)
    assert outage_store.injected(payload) == created
    assert outage_store.order(created["id"])["id"] == payload["external_id"]
    outage_store.wait_event("order.created", lambda body: body["id"] == created["id"])


@pytest.fixture
def silent_platform(tmp_path: Path) -> Iterator[tuple[Platform, SilentNetwork]]:
    """A platform reaching its database through a network that can go silent; statements
    wait 1 s for an answer."""
    with databases.fresh_database(tmp_path, "silent") as url, SilentNetwork(url) as network:
        settings = platform_settings(network.url, database_statement_timeout_seconds=1.0)
        server = ServerThread(create_app(settings), name="platform-silent").start()
        try:
            yield Platform(server=server, settings=settings), network
        finally:
            network.speak_again()
            server.stop()


def test_a_network_gone_silent_is_503_within_the_statement_timeout_and_heals_by_itself(
    silent_platform, tmp_path, oms_sink
):
    """No reset reaches the platform (a fail-over, a partition): without a limit the request,
    and its connection, would wait for hours. It is answered 503 within the statement timeout
    (and the connect timeout, for the connections it then tries), and once the network speaks
    again the same request succeeds, once, without a restart."""
    platform, network = silent_platform
    credentials = platform.create_tenant()
    with platform.client(credentials) as api:
        store = prepare(api, credentials.tenant, tmp_path, oms_sink)
        for _ in range(3):
            store.injected(order_payload())  # the pool holds connections
        payload = order_payload()
        network.go_silent()
        try:
            started = time.monotonic()
            refused = store.inject(payload)
            waited = time.monotonic() - started
            assert_problem(refused, "database_unavailable", status=503)
            assert refused.headers["Retry-After"] == "1"
            assert waited < platform.settings.database_pool_timeout_seconds + 5
        finally:
            network.speak_again()
        created = store.injected(payload)
        assert store.injected(payload) == created
        store.wait_event("order.created", lambda body: body["id"] == created["id"])
