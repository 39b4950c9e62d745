"""Which order a return is against, and which of its units can come back.

An order is looked for in the platform first (by id, then by number). When the platform does
not have it and the external order webhook is in use, the OMS's order details answer: an order
with ``origin`` ``newstore`` is the platform's order ``origin_id``; one with ``origin``
``external`` is returned from the OMS's own items.

A unit can come back when:

* platform order: the item is ``complete``, or it is an endless-aisle item the external OMS
  fulfils (``in_fulfillment``, fulfilled by ``external_oms``) on a paid order — the platform
  never hears of its delivery, and the customer bringing it back proves it;
* OMS order: the OMS says ``complete`` or ``in_fulfillment``;

and no return holds it yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.core.money import to_minor
from cashwrap.core.uow import Database
from cashwrap.history import service as history
from cashwrap.history.schemas import WebhookOrderDetail
from cashwrap.orders import service as orders
from cashwrap.orders.states import FulfilledBy, ItemStatus, PaymentStatus
from cashwrap.outbound.http import OutboundHttp
from cashwrap.returns.schemas import ReturnLine
from cashwrap.returns.states import ReturnKind

_PAID = frozenset(
    {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
_OMS_RETURNABLE = frozenset({"complete", "in_fulfillment"})


@dataclass(frozen=True)
class Unit:
    """One unit of the order, as a return sees it."""

    ref: str
    """Its key in the once-only guard (``return_items.item_ref``)."""
    item_id: str
    """Its id in its order (the platform's uuid, or the OMS's id)."""
    aliases: frozenset[str]
    """Every id a request may name it by."""
    product_id: str
    product_name: str | None
    refund_amount: int
    refund_tax: int
    returnable: bool
    complete_first: bool = False
    """An endless-aisle item the platform must record as delivered before it is returned."""


@dataclass(frozen=True)
class SourceOrder:
    kind: ReturnKind
    origin: str
    order_id: str | None
    """The platform's order id (None for an order only the OMS has)."""
    order_number: str
    order_ref: str
    currency: str
    customer_id: str | None
    customer_email: str | None
    customer_name: str | None
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class Located:
    """Where the order was found: the platform's order id, or the OMS's details."""

    order_id: str | None = None
    external: WebhookOrderDetail | None = None


async def locate(database: Database, http: OutboundHttp, tenant: str, key: str) -> Located:
    """Find the order a return names (see the module). No transaction is open during the
    webhook call. 404 ``order_not_found`` when neither the platform nor the OMS knows it."""
    async with database.transaction() as session:
        try:
            record = await orders.find_order(session, tenant, key)
        except NotFound:
            record = None
    if record is not None:
        return Located(order_id=record.id)
    found = await history.external_order(database, http, tenant, key)
    if found is None:
        raise NotFound(f"order {key} not found", code="order_not_found")
    detail, _ = found
    if detail.origin == "newstore":
        async with database.transaction() as session:
            try:
                record = await orders.get_order(session, tenant, order_id=detail.origin_id)
            except NotFound:
                raise NotFound(
                    f"the external OMS says order {key} was placed in the platform as "
                    f"{detail.origin_id}, which the platform does not have",
                    code="order_not_found",
                ) from None
        return Located(order_id=record.id)
    return Located(external=detail)


def platform_source(record: orders.OrderRecord) -> SourceOrder:
    order = record.order
    paid = order["payment_status"] in _PAID
    tax_excluded = order["price_method"] == "tax_excluded"
    units = []
    for item in record.items:
        status = item["status"]
        handed_off = (
            status == ItemStatus.IN_FULFILLMENT
            and item["fulfilled_by"] == FulfilledBy.EXTERNAL_OMS
            and paid
        )
        paid_for = item["price"] - item["order_discount"]
        units.append(
            Unit(
                ref=item["id"],
                item_id=item["id"],
                aliases=frozenset({item["id"], item["external_item_id"]} - {None}),
                product_id=item["product_id"],
                product_name=item["product_name"],
                refund_amount=paid_for + (item["tax"] if tax_excluded else 0),
                refund_tax=item["tax"],
                returnable=status == ItemStatus.COMPLETE or handed_off,
                complete_first=handed_off,
            )
        )
    origin = order["origin"]
    return SourceOrder(
        kind=ReturnKind.REFERENCED if origin == "newstore" else ReturnKind.UNREFERENCED,
        origin=origin,
        order_id=order["id"],
        order_number=order["external_id"],
        order_ref=order["id"],
        currency=order["currency"],
        customer_id=order["customer_id"],
        customer_email=order["customer_email"],
        customer_name=order["customer_name"],
        units=tuple(units),
    )


def oms_source(detail: WebhookOrderDetail) -> SourceOrder:
    """An order only the external OMS has. Its items are units (NewStore counts items per
    unit); two items with the same id are told apart by their position among equals."""
    currency = detail.currency.upper()
    seen: Counter[str] = Counter()
    units = []
    for index, item in enumerate(detail.items):
        key = item.origin_id or item.id
        seen[key] += 1
        ref = key if seen[key] == 1 else f"{key}#{seen[key]}"
        where = f"items.{index}.price"
        try:
            gross = to_minor(str(item.price.gross), currency, field=f"{where}.gross")
            tax = to_minor(str(item.price.tax), currency, field=f"{where}.tax")
        except InvalidInput as error:
            raise Conflict(
                f"the external OMS's order {detail.id} cannot be refunded: {error.message}",
                code="invalid_oms_order",
            ) from None
        units.append(
            Unit(
                ref=ref,
                item_id=item.id,
                aliases=frozenset({item.id, item.origin_id}),
                product_id=item.product or item.id,
                product_name=item.product_attributes.name,
                refund_amount=gross,
                refund_tax=tax,
                returnable=item.status in _OMS_RETURNABLE,
            )
        )
    customer = detail.customer
    return SourceOrder(
        kind=ReturnKind.UNREFERENCED,
        origin=detail.origin,
        order_id=None,
        order_number=detail.id,
        order_ref=f"oms:{detail.id}",
        currency=currency,
        customer_id=customer.id if customer else None,
        customer_email=customer.email if customer else None,
        customer_name=customer.name if customer else None,
        units=tuple(units),
    )


def choose_units(
    source: SourceOrder, lines: Sequence[ReturnLine], taken: set[str]
) -> list[tuple[int, Unit]]:
    """The units each line returns, as ``(line index, unit)`` in the request's order.

    400 ``item_not_in_order`` when a line names nothing the order has; 409
    ``return_quantity_exceeded`` when it asks for more units than were bought and are not
    returned yet.
    """
    chosen: list[tuple[int, Unit]] = []
    used: set[str] = set(taken)
    for index, line in enumerate(lines):
        candidates = [
            unit
            for unit in source.units
            if (line.item_id is None or line.item_id in unit.aliases)
            and (line.product_id is None or unit.product_id == line.product_id)
        ]
        what = f"item {line.item_id}" if line.item_id else f"product {line.product_id}"
        if not candidates:
            raise InvalidInput(
                f"items.{index}: order {source.order_number} has no {what}",
                code="item_not_in_order",
                extra={"line": index},
            )
        free = [unit for unit in candidates if unit.returnable and unit.ref not in used]
        if len(free) < line.quantity:
            raise Conflict(
                f"items.{index}: {line.quantity} unit(s) of {what} asked for, order "
                f"{source.order_number} has {len(candidates)} of which {len(free)} can still "
                "be returned",
                code="return_quantity_exceeded",
                extra={
                    "line": index,
                    "requested": line.quantity,
                    "bought": len(candidates),
                    "returnable": len(free),
                },
            )
        for unit in free[: line.quantity]:
            used.add(unit.ref)
            chosen.append((index, unit))
    return chosen
