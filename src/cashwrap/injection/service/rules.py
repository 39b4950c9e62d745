"""The injected order's own rules: what can be refused from the payload alone (400, nothing
written), checked once, turning every amount into integer minor units on the way.

In order, each with its ``error_code``:

1. every amount has at most the currency's decimals — ``invalid_currency_decimals``;
2. shipping options (``invalid_shipments``): one option is by service level **or** by offer
   token, never both, and an order never mixes the two kinds; an order with several shipments
   uses tokens (a service level is documented not to work with several shipments); every token
   can be read and has not expired; ``routing_strategy`` ``external`` needs a service level;
3. add-ons: an add-on's and its parent's ``external_item_id`` are unique in the order —
   ``addon_duplicate_external_item_id``; the parent is another, non-add-on item of the same
   shipment — ``addon_invalid_parent_item``;
4. a discount never takes more than the price — ``invalid_discount``;
5. payments: ``correlation_ref`` unique in the order (``schema_validation_error``); when the
   order carries payments, their sum equals the items plus shipping under ``price_method`` —
   ``payment_total_mismatch``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cashwrap.core.errors import InvalidInput
from cashwrap.core.money import from_minor, to_minor, to_wire
from cashwrap.injection.schemas import (
    HistoricalOrderShipment,
    HistoricalShippingOption,
    InjectedOrderDiscountInfo,
    InjectedOrderRequest,
    InjectedOrderShipmentItem,
)
from cashwrap.injection.service import tokens
from cashwrap.orders.states import PaymentStatus

DEFAULT = "default"
PREROUTED = "prerouted"
EXTERNAL = "external"
HISTORICAL = "historical"


@dataclass(frozen=True)
class ItemSpec:
    """One unit, money in minor units."""

    position: int
    shipment_index: int
    external_item_id: str
    product_id: str
    list_price: int
    price: int
    """Paid for the item after its own discount (``item_price`` − item discount)."""
    tax: int
    discount: int
    order_discount: int
    pricebook: str
    tax_lines: list[dict[str, Any]]
    extended_attributes: list[dict[str, Any]]
    details: dict[str, Any]
    addon_parent: int | None


@dataclass(frozen=True)
class ShipmentSpec:
    index: int
    service_level: str
    routing: str
    """``default``, ``prerouted``, ``external``, or ``historical`` (already shipped)."""
    node_id: str | None
    shipping_type: str | None
    """Known from the token or the historical option; otherwise from the configuration."""
    by_token: bool
    shipping_total: int
    """Shipping price after its discount."""
    shipping_tax: int
    items: list[int] = field(default_factory=list)
    """Positions of its items in :attr:`CheckedOrder.items`."""
    historical: HistoricalShippingOption | None = None


@dataclass(frozen=True)
class CheckedOrder:
    request: InjectedOrderRequest
    items: list[ItemSpec]
    shipments: list[ShipmentSpec]
    shipping_total: int
    shipping_tax: int
    grand_total: int
    payment_status: PaymentStatus
    payments: list[dict[str, Any]]


def check(request: InjectedOrderRequest) -> CheckedOrder:
    """Apply the rules of the module; the order in minor units, or ``InvalidInput``."""
    currency = request.currency
    shipments = _shipping_options(request)
    items: list[ItemSpec] = []
    specs: list[ShipmentSpec] = []
    for index, shipment in enumerate(request.shipments):
        base = f"shipments.{index}"
        positions = []
        for number, item in enumerate(shipment.items):
            positions.append(len(items))
            items.append(_item(item, len(items), index, f"{base}.items.{number}", currency))
        spec = shipments[index]
        option = (
            shipment.historical_shipping_option
            if isinstance(shipment, HistoricalOrderShipment)
            else shipment.shipping_option
        )
        price = to_minor(option.price, currency, field=f"{base}.shipping_option.price")
        tax = to_minor(option.tax, currency, field=f"{base}.shipping_option.tax")
        discount = _discount(
            option.discount_info, currency, f"{base}.shipping_option.discount_info"
        )
        if discount > price:
            raise InvalidInput(
                f"{base}: the shipping discount ({discount}) exceeds the shipping price",
                code="invalid_discount",
            )
        specs.append(
            ShipmentSpec(
                index=index,
                service_level=spec.service_level,
                routing=spec.routing,
                node_id=spec.node_id,
                shipping_type=spec.shipping_type,
                by_token=spec.by_token,
                shipping_total=price - discount,
                shipping_tax=tax,
                items=positions,
                historical=spec.historical,
            )
        )
    _addons(request, items)
    shipping_total = sum(spec.shipping_total for spec in specs)
    shipping_tax = sum(spec.shipping_tax for spec in specs)
    total = sum(item.price - item.order_discount for item in items) + shipping_total
    if request.price_method == "tax_excluded":
        total += sum(item.tax for item in items) + shipping_tax
    payments, status = _payments(request, currency, total)
    return CheckedOrder(
        request=request,
        items=items,
        shipments=specs,
        shipping_total=shipping_total,
        shipping_tax=shipping_tax,
        grand_total=total,
        payment_status=status,
        payments=payments,
    )


@dataclass(frozen=True)
class _Option:
    service_level: str
    routing: str
    node_id: str | None
    shipping_type: str | None
    by_token: bool
    historical: HistoricalShippingOption | None = None


def _invalid_shipments(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_shipments")


def _shipping_options(request: InjectedOrderRequest) -> list[_Option]:
    options: list[_Option] = []
    kinds = set()
    for index, shipment in enumerate(request.shipments):
        if isinstance(shipment, HistoricalOrderShipment):
            historical = shipment.historical_shipping_option
            options.append(
                _Option(
                    historical.service_level_identifier,
                    HISTORICAL,
                    historical.fulfillment_node_id or None,
                    historical.shipping_type,
                    False,
                    historical,
                )
            )
            continue
        option = shipment.shipping_option
        if option.service_level_identifier is not None and option.shipping_offer_token is not None:
            raise _invalid_shipments(
                f"shipments.{index}.shipping_option: a shipping option is identified by "
                "service_level_identifier or by shipping_offer_token, not both"
            )
        strategy = option.routing_strategy
        routing = strategy.strategy if strategy is not None else DEFAULT
        node = getattr(strategy, "fulfillment_node_id", None)
        if option.shipping_offer_token is not None:
            kinds.add("token")
            offer = tokens.decode(option.shipping_offer_token)
            if offer is None:
                raise _invalid_shipments(
                    "Failed to read shipping options by shipping offer token. At least one of "
                    "the provided shipping offer tokens could not be parsed."
                )
            if offer.expired():
                raise _invalid_shipments(
                    f"shipments.{index}.shipping_option.shipping_offer_token: the shipping "
                    "offer expired; ask for routing options again"
                )
            if routing == EXTERNAL:
                raise _invalid_shipments(
                    f"shipments.{index}.shipping_option: routing_strategy external needs the "
                    "service_level_identifier of the shipping option, not a shipping offer token"
                )
            if routing == DEFAULT and offer.fulfillment_node_id is not None:
                routing, node = PREROUTED, offer.fulfillment_node_id
            options.append(_Option(offer.service_level, routing, node, offer.shipping_type, True))
        else:
            assert option.service_level_identifier is not None
            kinds.add("service_level")
            options.append(_Option(option.service_level_identifier, routing, node, None, False))
    if len(kinds) > 1:
        raise _invalid_shipments(
            "mixed shipping option types: every shipment uses service_level_identifier, or "
            "every shipment uses shipping_offer_token"
        )
    if "service_level" in kinds and len(request.shipments) > 1:
        raise _invalid_shipments(
            "several shipping options are identified by service level: an order with several "
            "shipments must use shipping offer tokens"
        )
    return options


def _item(
    item: InjectedOrderShipmentItem, position: int, shipment: int, path: str, currency: str
) -> ItemSpec:
    price = item.price
    list_price = to_minor(price.item_list_price, currency, field=f"{path}.price.item_list_price")
    paid = to_minor(price.item_price, currency, field=f"{path}.price.item_price")
    tax_lines = []
    tax = 0
    for number, line in enumerate(price.item_tax_lines):
        tax += to_minor(line.amount, currency, field=f"{path}.price.item_tax_lines.{number}.amount")
        tax_lines.append(line.model_dump(exclude_none=True))
    discount = _discount(price.item_discount_info, currency, f"{path}.price.item_discount_info")
    order_discount = _discount(
        price.item_order_discount_info, currency, f"{path}.price.item_order_discount_info"
    )
    if discount + order_discount > paid:
        raise InvalidInput(
            f"{path}.price: the discounts ({discount + order_discount}) exceed item_price",
            code="invalid_discount",
        )
    details: dict[str, Any] = {}
    if price.item_discount_info:
        details["item_discount_info"] = [
            d.model_dump(exclude_none=True) for d in price.item_discount_info
        ]
    if price.item_order_discount_info:
        details["item_order_discount_info"] = [
            d.model_dump(exclude_none=True) for d in price.item_order_discount_info
        ]
    if price.group_ref is not None:
        details["group_ref"] = price.group_ref
    if item.gift_wrapping is not None:
        wrapping = item.gift_wrapping
        if wrapping.item_price is not None:
            to_minor(wrapping.item_price, currency, field=f"{path}.gift_wrapping.item_price")
        for number, line in enumerate(wrapping.item_tax_lines):
            to_minor(
                line.amount, currency, field=f"{path}.gift_wrapping.item_tax_lines.{number}.amount"
            )
        details["gift_wrapping"] = wrapping.model_dump(exclude_none=True)
    if item.addon_parent_external_item_id is not None:
        details["addon_parent_external_item_id"] = item.addon_parent_external_item_id
    return ItemSpec(
        position=position,
        shipment_index=shipment,
        external_item_id=item.external_item_id,
        product_id=item.product_id,
        list_price=list_price,
        price=paid - discount,
        tax=tax,
        discount=discount,
        order_discount=order_discount,
        pricebook=price.pricebook,
        tax_lines=tax_lines,
        extended_attributes=[a.model_dump() for a in item.extended_attributes],
        details=details,
        addon_parent=None,
    )


def _discount(infos: Sequence[InjectedOrderDiscountInfo], currency: str, path: str) -> int:
    total = 0
    for number, info in enumerate(infos):
        total += to_minor(
            info.price_adjustment, currency, field=f"{path}.{number}.price_adjustment"
        )
        if info.type == "fixed":
            to_minor(info.original_value, currency, field=f"{path}.{number}.original_value")
    return total


def _addons(request: InjectedOrderRequest, items: list[ItemSpec]) -> None:
    """Link each add-on to its parent (``ItemSpec.addon_parent``), after checking the rules."""
    wanted = [item for item in items if "addon_parent_external_item_id" in item.details]
    if not wanted:
        return
    counts = Counter(item.external_item_id for item in items)
    involved = {item.external_item_id for item in wanted} | {
        item.details["addon_parent_external_item_id"] for item in wanted
    }
    duplicated = sorted(external for external in involved if counts[external] > 1)
    if duplicated:
        raise InvalidInput(
            f"external_item_id {duplicated[0]!r} of an add-on or its parent appears more than "
            "once in the order; the add-on's link would be ambiguous",
            code="addon_duplicate_external_item_id",
        )
    by_external = {item.external_item_id: item for item in items}
    for addon in wanted:
        parent_id = addon.details["addon_parent_external_item_id"]
        parent = by_external.get(parent_id)
        where = f"shipments.{addon.shipment_index}: item {addon.external_item_id!r}"
        if parent is None or parent.shipment_index != addon.shipment_index:
            problem = "is not an item of the same shipment"
        elif parent is addon:
            problem = "is the add-on itself"
        elif "addon_parent_external_item_id" in parent.details:
            problem = "is itself an add-on (add-ons cannot be nested)"
        else:
            problem = ""
        if problem:
            raise InvalidInput(
                f"{where}: addon_parent_external_item_id {parent_id!r} {problem}",
                code="addon_invalid_parent_item",
            )
        assert parent is not None
        items[addon.position] = replace(addon, addon_parent=parent.position)


def _payments(
    request: InjectedOrderRequest, currency: str, total: int
) -> tuple[list[dict[str, Any]], PaymentStatus]:
    if not request.payments:
        return [], PaymentStatus.NONE
    seen: set[str] = set()
    for index, payment in enumerate(request.payments):
        if payment.correlation_ref in seen:
            raise InvalidInput(
                f"payments.{index}.correlation_ref: {payment.correlation_ref!r} must be unique "
                "within the order",
                code="schema_validation_error",
                extra={
                    "errors": [
                        {
                            "field": f"payments.{index}.correlation_ref",
                            "message": "must be unique within the order",
                            "type": "unique",
                        }
                    ]
                },
            )
        seen.add(payment.correlation_ref)
    paid = 0
    summaries = []
    for index, payment in enumerate(request.payments):
        amount = to_minor(payment.amount, currency, field=f"payments.{index}.amount")
        paid += amount
        summaries.append(
            {
                "method": payment.method,
                "type": payment.type,
                "amount": to_wire(amount, currency),
                "currency": currency,
                "processor": payment.processor,
                "correlation_ref": payment.correlation_ref,
                "processed_at": payment.processed_at,
            }
        )
    if paid != total:
        raise InvalidInput(
            f"the payments add up to {_show(paid, currency)} {currency} but the items and "
            f"shipping come to {_show(total, currency)} {currency} under price_method "
            f"{request.price_method!r} (a wrong price_method, or missing item_discount_info / "
            "item_order_discount_info?)",
            code="payment_total_mismatch",
            extra={"payments_total": _show(paid, currency), "order_total": _show(total, currency)},
        )
    types = {payment.type for payment in request.payments}
    status = PaymentStatus.CAPTURED if types == {"captured"} else PaymentStatus.AUTHORIZED
    return summaries, status


def _show(amount: int, currency: str) -> str:
    return str(from_minor(amount, currency))
