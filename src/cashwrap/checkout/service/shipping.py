"""Shipping options of a cart (defined by cashwrap): the service levels the fulfillment
configuration offers for the destination, their prices, and — for the cart's shipped lines —
whether they are available and how many shipments the platform's routing rules would make.

The external OMS makes the real routing decision; the seed asks the checkout to show what
NewStore's rules would do ("the checkout flow uses NewStore routing rules to identify the
locations and number of shipments"). One ATP evaluation per offered service level, asked
concurrently, with no transaction open.
"""

from __future__ import annotations

import asyncio

from cashwrap.availability import service as availability
from cashwrap.checkout.schemas import (
    Destination,
    LineProblem,
    PlannedShipment,
    ShipmentItem,
    ShippingOption,
    ShippingOptionsResponse,
)
from cashwrap.checkout.service import carts, rules
from cashwrap.config import service as config
from cashwrap.core import money
from cashwrap.core.errors import InvalidInput, PreconditionFailed
from cashwrap.core.uow import Database
from cashwrap.outbound.http import OutboundHttp


async def shipping_options(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    cart_id: str,
    *,
    country: str | None = None,
    zip_code: str | None = None,
) -> ShippingOptionsResponse:
    """The destination is ``country``/``zip_code`` when given, else the cart's shipping
    address (400 ``destination_required`` without either)."""
    async with database.transaction() as session:
        record = await carts.load(session, tenant, cart_id)
        fulfillment = await config.fulfillment_config(session, tenant)
    if fulfillment is None:
        raise PreconditionFailed(
            "there is no fulfillment configuration: PUT /v0/config/fulfillment first",
            code="fulfillment_config_missing",
        )
    address = record.cart["shipping_address"] or {}
    if country is None:
        country, zip_code = address.get("country"), address.get("zip_code")
    if not country:
        raise InvalidInput(
            "country: give a destination (?country=&zip_code=) or set the cart's shipping_address",
            code="destination_required",
        )
    country = country.upper()
    levels = fulfillment.service_levels_for(country, zip_code)
    shipped = record.lines(rules.SHIPPED)
    destination = availability.Destination(country, zip_code)
    evaluations: list[availability.CartAvailability | None] = [None] * len(levels)
    if shipped:
        lines = [availability.CartLine(line["product_id"], line["quantity"]) for line in shipped]
        evaluations = list(
            await asyncio.gather(
                *(
                    availability.evaluate_cart(
                        database, http, tenant, lines, service_level=level, destination=destination
                    )
                    for level in levels
                )
            )
        )
    options = []
    for level, evaluation in zip(levels, evaluations, strict=True):
        definition = fulfillment.service_levels[level]
        rate = fulfillment.provider_rate_for(level)
        option = ShippingOption(
            service_level=level,
            display_name=definition.display_name,
            price=money.to_wire(definition.price, definition.currency_code),
            currency=definition.currency_code,
            delivery_time=definition.delivery_time,
            shipping_type=rate.shipping_type if rate else None,
            shipping_carrier_name=rate.shipping_carrier_name if rate else None,
        )
        if evaluation is not None:
            option.available = evaluation.available
            option.shipments = [
                PlannedShipment(
                    fulfillment_node_id=shipment.fulfillment_node_id,
                    items=[
                        ShipmentItem(
                            line_id=shipped[item.line]["id"],
                            product_id=item.product_id,
                            quantity=item.quantity,
                        )
                        for item in shipment.items
                    ],
                )
                for shipment in evaluation.shipments
            ]
            option.problems = [
                LineProblem(
                    line_id=shipped[problem.line]["id"],
                    product_id=problem.product_id,
                    error_code=problem.error_code,
                    message=problem.message,
                    requested_quantity=problem.requested_quantity,
                    available_quantity=problem.available_quantity,
                    fulfillment_node_ids=list(problem.fulfillment_node_ids),
                    reason=problem.reason,
                )
                for problem in evaluation.problems
            ]
        options.append(option)
    return ShippingOptionsResponse(
        destination=Destination(country=country, zip_code=zip_code), shipping_options=options
    )
