"""Available-to-promise and the "Products not available" evaluation of a cart.

* :func:`atp` — ATP of products at locations, from the OMS webhook or the platform's stock.
* :func:`evaluate_cart` — can this cart ship for a service level and destination, and from
  where; or each line's problem with its own ``error_code``.

Both receive the :class:`~cashwrap.core.uow.Database` (not a session) and the shared
:class:`~cashwrap.outbound.http.OutboundHttp`: they open their own short transactions around,
never across, the call to the OMS.
"""

from __future__ import annotations

from cashwrap.availability.service.atp import (
    EXTERNAL,
    MISSING_FROM_ANSWER,
    STOCK,
    AtpResult,
    Availability,
    atp,
)
from cashwrap.availability.service.evaluation import (
    ERROR_CODES,
    LOCATION_NOT_IN_CONFIG,
    LOCATION_UNKNOWN,
    QUANTITY_PARTIALLY_UNAVAILABLE,
    QUANTITY_UNAVAILABLE,
    SPLIT_SHIPMENT_PART_UNAVAILABLE,
    Allocation,
    CartAvailability,
    CartLine,
    Destination,
    LinePlan,
    LineProblem,
    Shipment,
    ShipmentItem,
    evaluate_cart,
)

__all__ = [
    "ERROR_CODES",
    "EXTERNAL",
    "LOCATION_NOT_IN_CONFIG",
    "LOCATION_UNKNOWN",
    "MISSING_FROM_ANSWER",
    "QUANTITY_PARTIALLY_UNAVAILABLE",
    "QUANTITY_UNAVAILABLE",
    "SPLIT_SHIPMENT_PART_UNAVAILABLE",
    "STOCK",
    "Allocation",
    "AtpResult",
    "Availability",
    "CartAvailability",
    "CartLine",
    "Destination",
    "LinePlan",
    "LineProblem",
    "Shipment",
    "ShipmentItem",
    "atp",
    "evaluate_cart",
]
