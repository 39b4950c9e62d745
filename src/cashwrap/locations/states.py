"""Reservation and reservation-item statuses (NewStore's Reservations API), as data.

A reservation's status follows its items once it is accepted: any item ``RESERVED`` keeps it
``RESERVED``; when none is left reserved it is ``UNRESERVED`` if every item was unreserved and
``CONVERTED`` otherwise.
"""

from __future__ import annotations

from cashwrap.core.states import lifecycle

PENDING = "PENDING"  # waits for a store associate; holds no stock
REJECTED = "REJECTED"  # a pending reservation was declined; never held stock
RESERVED = "RESERVED"  # holds one unit per item until converted, unreserved or expired
CONVERTED = "CONVERTED"  # the unit was sold: it leaves the on-hand stock
UNRESERVED = "UNRESERVED"  # the unit went back to sellable stock

STATUSES = (PENDING, REJECTED, RESERVED, CONVERTED, UNRESERVED)

RESERVATION = lifecycle(
    "reservation",
    {
        PENDING: {RESERVED, REJECTED},
        RESERVED: {CONVERTED, UNRESERVED},
        REJECTED: set(),
        CONVERTED: set(),
        UNRESERVED: set(),
    },
)

RESERVATION_ITEM = lifecycle(
    "reservation item",
    {
        PENDING: {RESERVED, REJECTED},
        RESERVED: {CONVERTED, UNRESERVED},
        REJECTED: set(),
        CONVERTED: set(),
        UNRESERVED: set(),
    },
)


def derived_status(item_statuses: list[str]) -> str:
    """The status of an accepted reservation, from its items' statuses."""
    if any(status == RESERVED for status in item_statuses):
        return RESERVED
    if item_statuses and all(status == UNRESERVED for status in item_statuses):
        return UNRESERVED
    return CONVERTED
