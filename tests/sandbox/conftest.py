from tests.sandbox.support import carrier, carrier_server, psp, psp_server  # noqa: F401
