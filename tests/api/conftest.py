"""The sandbox OMS, payment provider and carrier, for the tests that set a tenant up as the demo."""

from tests.sandbox.oms.conftest import oms, oms_server  # noqa: F401
from tests.sandbox.support import carrier, carrier_server, psp, psp_server  # noqa: F401
