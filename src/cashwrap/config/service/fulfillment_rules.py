"""The rules of the fulfillment configuration: every problem, each naming the route or the
service level at fault."""

from __future__ import annotations

from typing import Any

from cashwrap.config.schemas import IDENTIFIER, Route, RouteNode
from cashwrap.config.service.documents import problems_error
from cashwrap.config.service.fulfillment_views import normalize
from cashwrap.core import money
from cashwrap.core.errors import InvalidInput

Problem = tuple[str, str]


# --- validation --------------------------------------------------------------------------------


def _reference_problems(document: dict[str, Any]) -> list[Problem]:
    """Problems that must be absent before the document can even be normalized."""
    found: list[Problem] = []
    levels: dict[str, Any] = document["service_levels"]
    rates: dict[str, Any] = document["provider_rates"]
    for level_id, level in levels.items():
        currency = level["currency_code"]
        if not level_id.strip():
            found.append(("invalid_service_level", "service_levels: an id must not be empty"))
        if currency != currency.upper() or not money.is_currency(currency):
            found.append(
                (
                    "invalid_currency",
                    f"service_levels.{level_id}.currency_code: {currency!r} is not an "
                    "ISO 4217 code such as 'USD'",
                )
            )
            continue
        try:
            money.to_minor(level["price"], currency, field=f"service_levels.{level_id}.price")
        except InvalidInput as error:
            found.append((error.error_code, error.message))
    for rate_id, rate in rates.items():
        if not IDENTIFIER.match(rate_id):
            found.append(
                (
                    "invalid_provider_rate_id",
                    f"provider_rates: {rate_id!r} is not a valid id (1-128 characters, "
                    "no spaces or '/')",
                )
            )
        if levels and rate["service_level_id"] not in levels:
            found.append(
                (
                    "unknown_service_level",
                    f"provider_rates.{rate_id}: service level {rate['service_level_id']!r} is "
                    "not defined in service_levels",
                )
            )
        returned = rate["return_provider_rate_id"]
        if returned and returned not in rates:
            found.append(
                (
                    "unknown_provider_rate",
                    f"provider_rates.{rate_id}: return provider rate {returned!r} is not "
                    "defined in provider_rates",
                )
            )
    carriers: dict[tuple[str, str], str] = {}
    for rate_id, rate in rates.items():
        key = (rate["shipping_carrier_name"], rate["carrier_defined_service_level"])
        if key in carriers:
            found.append(
                (
                    "duplicate_carrier_defined_service_level",
                    f"provider_rates.{rate_id}: carrier_defined_service_level {key[1]!r} of "
                    f"{key[0]} is already used by provider rate {carriers[key]!r}; it must be "
                    "unique per shipping carrier",
                )
            )
        carriers.setdefault(key, rate_id)
    for level, rate_ids in document["provider_rate_priorities"].items():
        if levels and level not in levels:
            found.append(
                (
                    "unknown_service_level",
                    f"provider_rates_priority.{level}: {level!r} is not defined in service_levels",
                )
            )
        for position, rate_id in enumerate(rate_ids):
            if rate_id not in rates:
                found.append(
                    (
                        "unknown_provider_rate",
                        f"provider_rates_priority.{level}[{position}]: provider rate "
                        f"{rate_id!r} is not defined in provider_rates",
                    )
                )
            elif rates[rate_id]["service_level_id"] != level:
                found.append(
                    (
                        "provider_rate_service_level_mismatch",
                        f"provider_rates_priority.{level}[{position}]: provider rate "
                        f"{rate_id!r} belongs to service level "
                        f"{rates[rate_id]['service_level_id']!r}",
                    )
                )
        if len(set(rate_ids)) != len(rate_ids):
            found.append(
                (
                    "duplicate_provider_rate",
                    f"provider_rates_priority.{level}: lists a provider rate twice",
                )
            )
    routing = document["routing"]
    if routing is not None and routing["version"] == 2:
        found += _ruleset_reference_problems(routing["ruleset"])
    return found


def _ruleset_reference_problems(ruleset: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    groups: dict[str, list[str]] = ruleset.get("location_groups", {})
    regions: dict[str, list[str]] = ruleset.get("zip_code_regions", {})
    for group, nodes in groups.items():
        if not group or any(not node for node in nodes):
            found.append(
                (
                    "invalid_location_group",
                    f"location_groups.{group}: group ids and location ids must not be empty",
                )
            )
    for region, zip_codes in regions.items():
        if not zip_codes or any(not code.strip() for code in zip_codes):
            found.append(
                (
                    "invalid_zip_code_region",
                    f"zip_code_regions.{region}: list at least one zip code ('*' for all), "
                    "none empty",
                )
            )
    for group, nodes in ruleset.get("preferred_locations", {}).items():
        if group not in groups:
            found.append(
                (
                    "unknown_location_group",
                    f"preferred_locations.{group}: {group!r} is not defined in location_groups",
                )
            )
            continue
        for node in nodes:
            if node not in groups[group]:
                found.append(
                    (
                        "invalid_preferred_location",
                        f"preferred_locations.{group}: {node!r} is not a location of the group",
                    )
                )
    for index, route in enumerate(ruleset["routes"]):
        region = route["destination_region"]
        names = ", ".join(region.get("countries") or [region.get("country", "")])
        label = f"routes[{index}] ({names}; {region.get('zip_code_region') or '*'})"
        region_name = region.get("zip_code_region")
        if region_name and region_name not in regions:
            found.append(
                (
                    "unknown_zip_code_region",
                    f"{label}: zip_code_region {region_name!r} is not defined in zip_code_regions",
                )
            )
        for level, group_names in route["fulfilled_by"].items():
            for group in group_names:
                if group not in groups:
                    found.append(
                        (
                            "unknown_location_group",
                            f"{label}: fulfilled_by.{level} names location group {group!r}, "
                            "which location_groups does not define",
                        )
                    )
    return found


def problems(document: dict[str, Any]) -> list[Problem]:
    """Every rule the configuration breaks, each naming the route or service level at fault.

    The seed's rules: every customer-facing service level (those ``service_levels`` defines,
    or, without them, those the routing names) appears in every route's ``fulfilled_by`` and in
    ``sl_levels_priority``; every provider rate a route uses exists; prices respect the
    currency's decimals. Also: routes are ordered, so a route after a ``*`` route of the same
    country can never match (specific zip codes must precede wildcards).
    """
    found = _reference_problems(document)
    if found or document["routing"] is None:
        return found
    config = normalize(document, 0)
    assert config is not None
    levels = document["service_levels"]
    route_levels = [level for route in config.routes for level in route.fulfilled_by]
    facing = (
        list(levels) if levels else list(dict.fromkeys([*config.sl_levels_priority, *route_levels]))
    )
    for level in config.sl_levels_priority:
        if levels and level not in levels:
            found.append(
                (
                    "unknown_service_level",
                    f"sl_levels_priority: {level!r} is not defined in service_levels",
                )
            )
    for level in facing:
        if level not in config.sl_levels_priority:
            found.append(
                (
                    "service_level_missing_from_priority",
                    f"sl_levels_priority: service level {level!r} is missing; every "
                    "customer-facing service level must be listed",
                )
            )
    for route in config.routes:
        for level in facing:
            if level not in route.fulfilled_by:
                found.append(
                    (
                        "service_level_missing_from_route",
                        f"{route.describe()}: fulfilled_by lacks service level {level!r}; every "
                        "customer-facing service level must appear in every route",
                    )
                )
        for level, nodes in route.fulfilled_by.items():
            if levels and level not in levels:
                found.append(
                    (
                        "unknown_service_level",
                        f"{route.describe()}: fulfilled_by names service level {level!r}, which "
                        "service_levels does not define",
                    )
                )
            for position, node in enumerate(nodes):
                found += _node_problems(route, level, position, node, document)
    found += _unreachable_routes(config.routes)
    return found


def _node_problems(
    route: Route, level: str, position: int, node: RouteNode, document: dict[str, Any]
) -> list[Problem]:
    if node.provider_rate is None:
        return []
    rates = document["provider_rates"]
    where = (
        f"{route.describe()}: fulfilled_by.{level}[{position}] (node {node.fulfillment_node_id})"
    )
    rate = rates.get(node.provider_rate)
    if rate is None:
        return [
            (
                "unknown_provider_rate",
                f"{where} uses provider rate {node.provider_rate!r}, which provider_rates "
                "does not define",
            )
        ]
    if rate["service_level_id"] != level:
        return [
            (
                "provider_rate_service_level_mismatch",
                f"{where} uses provider rate {node.provider_rate!r}, which belongs to service "
                f"level {rate['service_level_id']!r}",
            )
        ]
    return []


def _unreachable_routes(routes: list[Route]) -> list[Problem]:
    found: list[Problem] = []
    for later in routes:
        for earlier in routes[: later.index]:
            shared = [country for country in later.countries if country in earlier.countries]
            if shared and "*" in earlier.zip_codes:
                found.append(
                    (
                        "unreachable_route",
                        f"{later.describe()} can never match: {earlier.describe()} already "
                        f"takes every zip code of {', '.join(shared)}; list specific zip codes "
                        "before wildcards",
                    )
                )
                break
    return found


def validate(document: dict[str, Any]) -> None:
    found = problems(document)
    if found:
        raise problems_error(found)
