""" "Products not available": can this cart ship, from where — and if not, why, per line.

The checkout calls :func:`evaluate_cart` with the cart's lines, the chosen service level and the
destination. The fulfillment configuration gives the route's nodes for that service level and
destination, in priority order; the platform's known locations among them are the *eligible*
locations. ATP is asked once (:mod:`.atp`) for every product at the route's nodes and at every
known location.

Plan. One shipment if one eligible location holds every line (the first such in route order);
otherwise each line goes to the first eligible location that holds its whole quantity, and a
line no single location holds is split by units across eligible locations in route order.

Problems — the seed's four exceptions, one per short line, the first that applies:

====================================  ==========================================================
``quantity_unavailable``              no eligible location has any unit (also every line when
                                      the ATP answer could not be had: ``reason`` says why)
``quantity_partially_unavailable``    eligible locations hold some units, not enough
``split_shipment_part_unavailable``   the cart would ship in parts from two or more locations
                                      and this part cannot be completed
``fulfillment_location_unknown``      the OMS promises the units at a location the platform does
                                      not know (never imported): the locations are out of sync
``fulfillment_location_not_in_config`` a known location holds the units but the fulfillment
                                      configuration does not route this service level and
                                      destination to it
====================================  ==========================================================

The location checks come first: when the units exist but sit where the platform cannot ship
from, that is the cause to fix, not a shortage.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cashwrap.availability.service.atp import AtpResult, answer, prepare
from cashwrap.config import service as config
from cashwrap.core.errors import InvalidInput, PreconditionFailed
from cashwrap.core.uow import Database
from cashwrap.locations import service as locations
from cashwrap.outbound.http import OutboundHttp

QUANTITY_UNAVAILABLE = "quantity_unavailable"
QUANTITY_PARTIALLY_UNAVAILABLE = "quantity_partially_unavailable"
SPLIT_SHIPMENT_PART_UNAVAILABLE = "split_shipment_part_unavailable"
LOCATION_UNKNOWN = "fulfillment_location_unknown"
LOCATION_NOT_IN_CONFIG = "fulfillment_location_not_in_config"
ERROR_CODES = (
    QUANTITY_UNAVAILABLE,
    QUANTITY_PARTIALLY_UNAVAILABLE,
    SPLIT_SHIPMENT_PART_UNAVAILABLE,
    LOCATION_UNKNOWN,
    LOCATION_NOT_IN_CONFIG,
)
MAX_LINES = 200


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Destination:
    country: str
    zip_code: str | None = None


@dataclass(frozen=True)
class Allocation:
    fulfillment_node_id: str
    quantity: int


@dataclass(frozen=True)
class LinePlan:
    line: int
    product_id: str
    quantity: int
    allocations: tuple[Allocation, ...]

    @property
    def fulfillment_node_id(self) -> str | None:
        """The location of the whole line, when one location ships it."""
        if len(self.allocations) == 1 and self.allocations[0].quantity == self.quantity:
            return self.allocations[0].fulfillment_node_id
        return None


@dataclass(frozen=True)
class ShipmentItem:
    line: int
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    fulfillment_node_id: str
    items: tuple[ShipmentItem, ...]


@dataclass(frozen=True)
class LineProblem:
    line: int
    product_id: str
    error_code: str
    requested_quantity: int
    available_quantity: int
    fulfillment_node_ids: tuple[str, ...]
    message: str
    reason: str | None = None


@dataclass(frozen=True)
class CartAvailability:
    """``available`` is True exactly when ``problems`` is empty."""

    available: bool
    lines: tuple[LinePlan, ...]
    shipments: tuple[Shipment, ...]
    problems: tuple[LineProblem, ...]
    source: str
    reason: str | None
    route_nodes: tuple[str, ...]


async def evaluate_cart(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    lines: Sequence[CartLine],
    *,
    service_level: str,
    destination: Destination,
) -> CartAvailability:
    """Evaluate a cart for the chosen service level and destination (see the module).

    Raises 412 ``fulfillment_config_missing`` without a fulfillment configuration and 400
    ``unknown_service_level`` for a service level it does not define; everything else is an
    answer, never an exception. One ATP question, asked with no transaction open.
    """
    _check(lines)
    products = list(dict.fromkeys(line.product_id for line in lines))
    async with database.transaction() as session:
        fulfillment = await config.fulfillment_config(session, tenant)
        if fulfillment is None:
            raise PreconditionFailed(
                "there is no fulfillment configuration: PUT /v0/config/fulfillment first",
                code="fulfillment_config_missing",
            )
        if service_level not in fulfillment.service_levels:
            raise InvalidInput(
                f"service level {service_level!r} is not defined in the fulfillment "
                f"configuration (defined: {', '.join(sorted(fulfillment.service_levels))})",
                code="unknown_service_level",
            )
        route_nodes = list(
            dict.fromkeys(
                node.fulfillment_node_id
                for node in fulfillment.nodes_for(
                    service_level, destination.country, destination.zip_code
                )
            )
        )
        known = await locations.known_location_ids(session, tenant)
        candidates = route_nodes + sorted(known - set(route_nodes))
        question = await prepare(session, tenant, products, candidates)
    result = await answer(database, http, tenant, question)
    return plan(lines, route_nodes, known, result)


def _check(lines: Sequence[CartLine]) -> None:
    if not lines:
        raise InvalidInput("the cart has no lines", code="empty_cart")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"a cart has at most {MAX_LINES} lines", code="too_many_lines")
    for index, line in enumerate(lines):
        if not line.product_id:
            raise InvalidInput(f"lines.{index}.product_id is empty", code="invalid_request")
        if line.quantity < 1:
            raise InvalidInput(f"lines.{index}.quantity must be at least 1", code="invalid_request")


def plan(
    lines: Sequence[CartLine],
    route_nodes: Sequence[str],
    known: set[str],
    result: AtpResult,
) -> CartAvailability:
    """The pure part of the evaluation: allocate the lines and classify the shortfalls."""
    eligible = [node for node in route_nodes if node in known]
    if result.reason is not None:
        return _unanswered(lines, route_nodes, result)
    remaining = {
        (node, line.product_id): result.atp(node, line.product_id)
        for node in eligible
        for line in lines
    }
    single = _single_location(lines, eligible, remaining)
    if single is not None:
        plans = tuple(
            LinePlan(i, line.product_id, line.quantity, (Allocation(single, line.quantity),))
            for i, line in enumerate(lines)
        )
        return _answer(plans, (), result, route_nodes, eligible)

    plans_by_line: dict[int, LinePlan] = {}
    short: dict[int, int] = {}
    for index, line in enumerate(lines):
        allocations = _allocate(line, eligible, remaining)
        if allocations is None:
            short[index] = sum(remaining[(node, line.product_id)] for node in eligible)
            allocations = ()
        plans_by_line[index] = LinePlan(index, line.product_id, line.quantity, allocations)
    shipping_from = {
        allocation.fulfillment_node_id
        for plan_ in plans_by_line.values()
        for allocation in plan_.allocations
    }
    problems = tuple(
        _problem(
            index, lines[index], available, eligible, known, route_nodes, remaining, shipping_from,
            result,
        )
        for index, available in short.items()
    )  # fmt: skip
    plans = tuple(plans_by_line[index] for index in range(len(lines)))
    return _answer(plans, problems, result, route_nodes, eligible)


def _single_location(
    lines: Sequence[CartLine], eligible: Sequence[str], remaining: dict[tuple[str, str], int]
) -> str | None:
    needed = Counter[str]()
    for line in lines:
        needed[line.product_id] += line.quantity
    for node in eligible:
        if all(remaining[(node, product)] >= units for product, units in needed.items()):
            return node
    return None


def _allocate(
    line: CartLine, eligible: Sequence[str], remaining: dict[tuple[str, str], int]
) -> tuple[Allocation, ...] | None:
    """The line's allocations (consumed from ``remaining``), or None when it cannot be met."""
    product = line.product_id
    whole = next((node for node in eligible if remaining[(node, product)] >= line.quantity), None)
    if whole is not None:
        remaining[(whole, product)] -= line.quantity
        return (Allocation(whole, line.quantity),)
    if sum(remaining[(node, product)] for node in eligible) < line.quantity:
        return None
    allocations: list[Allocation] = []
    wanted = line.quantity
    for node in eligible:
        taken = min(wanted, remaining[(node, product)])
        if taken:
            remaining[(node, product)] -= taken
            allocations.append(Allocation(node, taken))
            wanted -= taken
        if not wanted:
            break
    return tuple(allocations)


def _problem(
    index: int,
    line: CartLine,
    available: int,
    eligible: Sequence[str],
    known: set[str],
    route_nodes: Sequence[str],
    remaining: dict[tuple[str, str], int],
    shipping_from: set[str],
    result: AtpResult,
) -> LineProblem:
    product = line.product_id
    promised = {
        location: result.atp(location, product)
        for location in result.locations_of(product)
        if location not in eligible and result.atp(location, product) > 0
    }
    unknown = {node: units for node, units in promised.items() if node not in known}
    unrouted = {node: units for node, units in promised.items() if node in known}

    def problem(code: str, nodes: Sequence[str], message: str) -> LineProblem:
        return LineProblem(
            line=index,
            product_id=product,
            error_code=code,
            requested_quantity=line.quantity,
            available_quantity=available,
            fulfillment_node_ids=tuple(nodes),
            message=message,
        )

    if unknown and available + sum(unknown.values()) >= line.quantity:
        return problem(
            LOCATION_UNKNOWN,
            sorted(unknown),
            f"{product}: the OMS has the units at {', '.join(sorted(unknown))}, which the "
            "platform does not know; import availabilities for these locations",
        )
    if unrouted and available + sum(unrouted.values()) >= line.quantity:
        return problem(
            LOCATION_NOT_IN_CONFIG,
            sorted(unrouted),
            f"{product}: the units are at {', '.join(sorted(unrouted))}, which the fulfillment "
            "configuration does not route this service level and destination to",
        )
    holding = {node for node in eligible if remaining[(node, product)] > 0}
    if len(shipping_from | holding) >= 2:
        return problem(
            SPLIT_SHIPMENT_PART_UNAVAILABLE,
            sorted(holding),
            f"{product}: the order would ship in parts from "
            f"{', '.join(sorted(shipping_from | holding))}; this part has {available} of "
            f"{line.quantity} units",
        )
    if available > 0:
        return problem(
            QUANTITY_PARTIALLY_UNAVAILABLE,
            sorted(holding),
            f"{product}: {available} of {line.quantity} units are available",
        )
    where = ", ".join(eligible) if eligible else "no location (the route names none known)"
    return problem(
        QUANTITY_UNAVAILABLE,
        list(eligible),
        f"{product}: no unit is available at {where}",
    )


def _unanswered(
    lines: Sequence[CartLine], route_nodes: Sequence[str], result: AtpResult
) -> CartAvailability:
    problems = tuple(
        LineProblem(
            line=index,
            product_id=line.product_id,
            error_code=QUANTITY_UNAVAILABLE,
            requested_quantity=line.quantity,
            available_quantity=0,
            fulfillment_node_ids=(),
            message=f"{line.product_id}: availability could not be had ({result.reason}); "
            "nothing is available",
            reason=result.reason,
        )
        for index, line in enumerate(lines)
    )
    plans = tuple(LinePlan(i, line.product_id, line.quantity, ()) for i, line in enumerate(lines))
    return CartAvailability(
        available=False,
        lines=plans,
        shipments=(),
        problems=problems,
        source=result.source,
        reason=result.reason,
        route_nodes=tuple(route_nodes),
    )


def _answer(
    plans: tuple[LinePlan, ...],
    problems: tuple[LineProblem, ...],
    result: AtpResult,
    route_nodes: Sequence[str],
    eligible: Sequence[str],
) -> CartAvailability:
    grouped: dict[str, list[ShipmentItem]] = defaultdict(list)
    for line_plan in plans:
        for allocation in line_plan.allocations:
            grouped[allocation.fulfillment_node_id].append(
                ShipmentItem(line_plan.line, line_plan.product_id, allocation.quantity)
            )
    shipments = tuple(Shipment(node, tuple(grouped[node])) for node in eligible if node in grouped)
    return CartAvailability(
        available=not problems,
        lines=plans,
        shipments=shipments,
        problems=problems,
        source=result.source,
        reason=None,
        route_nodes=tuple(route_nodes),
    )
