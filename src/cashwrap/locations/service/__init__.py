"""Fulfillment locations, on-hand stock and reservations: what other domains call.

* :mod:`.locations` — lookup, the set of known location ids, stores, import-time creation.
* :mod:`.stock` — on-hand reads, ``adjust_stock``, ATP from stock, insights.
* :mod:`.reservations` — create / accept / reject / convert / unreserve, with 24 h default expiry.
"""

from __future__ import annotations

from cashwrap.locations.service.locations import (
    StoreMapping,
    apply_store_mappings,
    ensure_locations,
    get_location,
    get_store,
    known_location_ids,
    list_locations,
    list_stores,
    store_node,
    update_store,
)
from cashwrap.locations.service.reservations import (
    ReservationView,
    ReservedUnit,
    convert,
    create_reservation,
    get_config,
    get_reservation,
    hold_for_new_order,
    list_reservations,
    release_for_order,
    reserve_for_order,
    settle_order_items,
    unreserve,
    update_config,
    update_items,
    update_reservation_status,
)
from cashwrap.locations.service.stock import (
    adjust_stock,
    atp_from_stock,
    insights,
    on_hand,
    set_stock,
    stock_levels,
    take_sold_units,
)

__all__ = [
    "ReservationView",
    "ReservedUnit",
    "StoreMapping",
    "adjust_stock",
    "apply_store_mappings",
    "atp_from_stock",
    "convert",
    "create_reservation",
    "ensure_locations",
    "get_config",
    "get_location",
    "get_reservation",
    "get_store",
    "hold_for_new_order",
    "insights",
    "known_location_ids",
    "list_locations",
    "list_reservations",
    "list_stores",
    "on_hand",
    "release_for_order",
    "reserve_for_order",
    "set_stock",
    "settle_order_items",
    "stock_levels",
    "store_node",
    "take_sold_units",
    "unreserve",
    "update_config",
    "update_items",
    "update_reservation_status",
    "update_store",
]
