"""A cart's lifecycle, as data.

``open`` — lines may change; ``checking_out`` — a checkout holds it (its ``checkout_key``);
``checked_out`` — it became an order (``order_id``). A checkout that takes nothing gives the
cart back (``checking_out`` → ``open``); one that asks no other system (cash only, nothing
shipped) checks the cart out in the transaction that reads it (``open`` → ``checked_out``).
"""

from __future__ import annotations

from enum import StrEnum

from cashwrap.core.states import lifecycle


class CartState(StrEnum):
    OPEN = "open"
    CHECKING_OUT = "checking_out"
    CHECKED_OUT = "checked_out"


CART_LIFECYCLE = lifecycle(
    "cart",
    {
        CartState.OPEN: {CartState.CHECKING_OUT, CartState.CHECKED_OUT},
        CartState.CHECKING_OUT: {CartState.OPEN, CartState.CHECKED_OUT},
        CartState.CHECKED_OUT: set(),
    },
)
