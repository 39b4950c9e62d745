"""The doctor's checks, in the order of the seed's pre-requisites.

Each area adds its checks to ``CHECKS`` at the place the seed gives; the comments mark the
places reserved for checks that live with the areas owning the data.
"""

from __future__ import annotations

from cashwrap.doctor.checks import configuration, event_stream, locations
from cashwrap.doctor.checks.base import Check, CheckContext, CheckResult

__all__ = ["CHECKS", "Check", "CheckContext", "CheckResult"]

CHECKS: list[Check] = [
    # Pre-requisites, in the seed's order.
    configuration.EXTERNAL_OMS,
    configuration.SALES_ORDER,
    locations.FULFILLMENT_LOCATIONS,
    configuration.EXTERNAL_ORDER_WEBHOOK,
    locations.CATALOG,
    configuration.USE_NEW_OM_UI,
    configuration.USE_CHARGE_API,
    configuration.SHIPPING_ADAPTER,
    # Fulfillment configuration and routing settings.
    configuration.FULFILLMENT,
    locations.ROUTE_NODES,
    # Mixed-cart orders.
    configuration.MIXED_CART,
    # Managing orders from an external OMS: ATP, refunds, placeholder payment adapter.
    configuration.AVAILABILITY_WEBHOOK,
    configuration.USES_EXTERNAL_ATP,
    locations.ATP_PROBE,
    configuration.REFUND_OPTIONS,
    configuration.PAYMENT_PROVIDER,
    # Store fulfillment via an external OMS.
    configuration.ORDER_INJECTION,
    # Syncing an external OMS with the event stream.
    event_stream.EVENT_STREAM,
]
