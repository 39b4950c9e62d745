from tests.checkout.support import (  # noqa: F401
    oms_atp,
    oms_atp_server,
    psp,
    psp_server,
    shop,
    sink_server,
)
