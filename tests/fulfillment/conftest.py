from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.events.sink import Sink
from tests.sandbox.oms.conftest import oms, oms_server  # noqa: F401
from tests.sandbox.support import carrier, carrier_server, psp, psp_server  # noqa: F401
from tests.support.servers import ServerThread
from tests.support.stores import StoreTenant, prepare


@pytest.fixture(scope="session")
def oms_sink() -> Iterator[tuple[Sink, str]]:
    """The external OMS's event-stream endpoint: records every delivery."""
    app = Sink()
    server = ServerThread(app, name="oms-sink").start()
    try:
        yield app, server.url
    finally:
        server.stop()


@pytest.fixture
def store(api, tenant, tmp_path, oms_sink, request: pytest.FixtureRequest) -> StoreTenant:
    """Two stores with stock, the seed's configuration, the sandbox carrier as shipping adapter."""
    shipper = request.getfixturevalue("carrier")
    return prepare(api, tenant.tenant, tmp_path, oms_sink, carrier=shipper)
