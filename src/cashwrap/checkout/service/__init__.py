"""Selling in the store: carts, shipping options, the checkout, the hand-over.

* :mod:`.carts` — ``/checkout/carts`` (create, read, change; line items), prices from the
  catalog;
* :mod:`.rules` — fulfillment types, mixed carts, cash (CONTRACT a.3, a.5);
* :mod:`.shipping` — shipping options and the shipments routing would make;
* :mod:`.attempts` — the checkout's idempotency (one attempt per ``Idempotency-Key``);
* :mod:`.placing` — the checkout: availability gate, payment, the order in one transaction;
* :mod:`.handover` — handing the taken items over, with the capture of a cash & carry order.
"""

from __future__ import annotations

from cashwrap.checkout.service.attempts import Answer
from cashwrap.checkout.service.carts import (
    CartRecord,
    add_item,
    change_item,
    create_cart,
    load,
    remove_item,
    shipping_price,
    update_cart,
    view,
)
from cashwrap.checkout.service.handover import hand_over
from cashwrap.checkout.service.placing import checkout
from cashwrap.checkout.service.shipping import shipping_options

__all__ = [
    "Answer",
    "CartRecord",
    "add_item",
    "change_item",
    "checkout",
    "create_cart",
    "hand_over",
    "load",
    "remove_item",
    "shipping_options",
    "shipping_price",
    "update_cart",
    "view",
]
