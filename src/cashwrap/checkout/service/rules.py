"""What a cart may hold: fulfillment types, mixed carts, cash (CONTRACT a.3, a.5).

* Each line is taken now (``IN_STORE_HANDOVER``: cash & carry) or shipped (``SHIPPING``:
  endless aisle). A line's fulfillment must be one of the Associate App's
  ``capabilities.allowed_fulfillment_types``.
* A cart with both is a **mixed cart**: allowed only when the Associate App's
  ``capabilities.mixed_cart`` **and** the store's ``mixed_cart`` are true (the configuration
  API already refuses ``mixed_cart`` without both fulfillment types allowed).
* Cash pays for an endless-aisle or mixed-cart order only with
  ``capabilities.cash_for_endless_aisle_orders_enabled``.

These rules are checked when a line is added or changed (so a cart never becomes what the
configuration forbids) and again at checkout (the configuration may have changed since).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from cashwrap.checkout.schemas import CartKind
from cashwrap.config.schemas import AssociateAppConfig
from cashwrap.core.errors import Conflict

TAKEN = "IN_STORE_HANDOVER"
SHIPPED = "SHIPPING"

FULFILLMENT_TYPE = {
    "cash_and_carry": "in_store_purchase",
    "mixed_cart": "multiple",
}
"""The Sales Orders API's ``fulfillment_type`` of a placed cart (endless aisle: see
:func:`shipped_fulfillment_type`)."""

_SHIPPING_TYPES = {
    "traditional_carrier": "traditional",
    "same_day_delivery": "same_day_delivery",
    "in_store_pick_up": "in_store_pickup",
}


def cart_kind(fulfillments: Iterable[str]) -> CartKind:
    kinds = set(fulfillments)
    if not kinds:
        return "empty"
    if kinds == {TAKEN}:
        return "cash_and_carry"
    if kinds == {SHIPPED}:
        return "endless_aisle"
    return "mixed_cart"


def shipped_fulfillment_type(shipping_type: str | None) -> str:
    """An endless-aisle order's ``fulfillment_type`` from its provider rate's shipping type."""
    return _SHIPPING_TYPES.get(shipping_type or "", "traditional")


def default_fulfillment(app: AssociateAppConfig, fulfillment_group: str | None) -> str:
    """The fulfillment of a line added without one: the cart's ``fulfillment_group``, else
    taken now when allowed, else shipped."""
    if fulfillment_group:
        return fulfillment_group
    allowed = app.capabilities.allowed_fulfillment_types
    return TAKEN if TAKEN in allowed else SHIPPED


def check_fulfillments(
    app: AssociateAppConfig, store_mixed_cart: bool | None, fulfillments: Collection[str]
) -> None:
    """409 ``fulfillment_type_not_allowed`` or ``mixed_cart_not_allowed`` (naming the setting
    that is off). ``store_mixed_cart`` is only read for a mixed cart (None: not read yet)."""
    capabilities = app.capabilities
    allowed = capabilities.allowed_fulfillment_types
    for fulfillment in sorted(set(fulfillments)):
        if fulfillment not in allowed:
            raise Conflict(
                f"{fulfillment} lines are not allowed: the Associate App configuration's "
                f"capabilities.allowed_fulfillment_types is {sorted(allowed)}",
                code="fulfillment_type_not_allowed",
                extra={"fulfillment": fulfillment, "allowed_fulfillment_types": list(allowed)},
            )
    if len(set(fulfillments)) < 2:
        return
    off = []
    if not capabilities.mixed_cart:
        off.append("the Associate App configuration's capabilities.mixed_cart")
    if not store_mixed_cart:
        off.append("the store's mixed_cart (PUT /v0/config/stores/{store_id})")
    if off:
        raise Conflict(
            "a cart cannot hold both IN_STORE_HANDOVER and SHIPPING lines here: "
            + " and ".join(off)
            + " must be true",
            code="mixed_cart_not_allowed",
            extra={
                "associate_app_mixed_cart": capabilities.mixed_cart,
                "store_mixed_cart": bool(store_mixed_cart),
            },
        )


def check_cash(app: AssociateAppConfig, kind: str, methods: Iterable[str]) -> None:
    """409 ``cash_not_allowed``: cash for an order with shipped lines needs the capability."""
    enabled = app.capabilities.cash_for_endless_aisle_orders_enabled
    if kind in ("endless_aisle", "mixed_cart") and "cash" in set(methods) and not enabled:
        raise Conflict(
            "cash cannot pay for an order with shipped lines: the Associate App "
            "configuration's capabilities.cash_for_endless_aisle_orders_enabled is false",
            code="cash_not_allowed",
        )
