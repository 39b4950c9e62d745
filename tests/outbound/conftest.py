from collections.abc import AsyncIterator

import pytest

from cashwrap.outbound.http import OutboundHttp
from tests.sandbox.support import carrier, carrier_server, psp, psp_server  # noqa: F401


@pytest.fixture
async def outbound_http() -> AsyncIterator[OutboundHttp]:
    """The platform's shared outbound client, as the app's lifespan makes it."""
    async with OutboundHttp(default_timeout=5.0) as http:
        yield http
