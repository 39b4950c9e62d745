"""Views of the fulfillment document: the seed's shape, the ruleset shape, the effective
configuration. Pure functions of a stored (valid) document."""

from __future__ import annotations

import copy
from typing import Any

from cashwrap.config.schemas import FulfillmentConfiguration, LegacyProviderRate, ProviderRate
from cashwrap.core import money


def empty_document() -> dict[str, Any]:
    return {
        "service_levels": {},
        "provider_rates": {},
        "provider_rate_priorities": {},
        "routing": None,
    }


# --- conversions between the three shapes ------------------------------------------------------


def rate_from_legacy(rate_id: str, rate: LegacyProviderRate) -> dict[str, Any]:
    return ProviderRate(
        id=rate_id,
        carrier_defined_service_level=rate.carrier_defined_service_level or rate_id,
        return_provider_rate_id=rate.return_provider_rate,
        service_level_id=rate.service_level,
        shipping_carrier_name=rate.shipping_carrier_name,
        shipping_type=rate.shipping_type,
        use_as_customer_facing_cost=rate.use_as_customer_facing_cost,
    ).model_dump()


def _rate_to_legacy(rate: dict[str, Any]) -> dict[str, Any]:
    legacy: dict[str, Any] = {
        "return_provider_rate": rate["return_provider_rate_id"],
        "service_level": rate["service_level_id"],
        "shipping_carrier_name": rate["shipping_carrier_name"],
        "shipping_type": rate["shipping_type"],
        "use_as_customer_facing_cost": rate["use_as_customer_facing_cost"],
    }
    if rate["carrier_defined_service_level"] != rate["id"]:
        legacy["carrier_defined_service_level"] = rate["carrier_defined_service_level"]
    return legacy


def _ruleset_from_legacy(routing: dict[str, Any]) -> dict[str, Any]:
    """A version 1 routing as a version 2 ruleset (``countries`` form): each route gets its own
    zip-code region (``All`` for ``*``) and one location group per service level."""
    groups: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    routes: list[dict[str, Any]] = []
    for index, route in enumerate(routing["routes"]):
        zip_codes = route["destination_region"]["zip_codes"]
        region = "All" if zip_codes == ["*"] else f"ROUTE_{index}"
        regions[region] = list(zip_codes)
        fulfilled_by: dict[str, list[str]] = {}
        for level, nodes in route["fulfilled_by"].items():
            group = f"{level}::ROUTE_{index}"
            groups[group] = [node["fulfillment_node_id"] for node in nodes]
            fulfilled_by[level] = [group]
        routes.append(
            {
                "destination_region": {
                    "countries": list(route["destination_region"]["countries"]),
                    "zip_code_region": region,
                },
                "fulfilled_by": fulfilled_by,
            }
        )
    return {
        "location_groups": groups,
        "preferred_locations": {},
        "routes": routes,
        "sl_levels_priority": list(routing["sl_levels_priority"]),
        "zip_code_regions": regions,
    }


def _in_form(ruleset: dict[str, Any], *, countries: bool) -> dict[str, Any]:
    """The ruleset with ``countries[]`` routes (payload version 1) or one ``country`` each."""
    result = copy.deepcopy(ruleset)
    routes: list[dict[str, Any]] = []
    for route in result["routes"]:
        region = route["destination_region"]
        names = region.get("countries") or [region["country"]]
        rest = {key: value for key, value in region.items() if key not in ("country", "countries")}
        if countries:
            routes.append({**route, "destination_region": {"countries": names, **rest}})
        else:
            routes.extend(
                {**route, "destination_region": {"country": name, **rest}} for name in names
            )
    result["routes"] = routes
    return result


def _stored_ruleset(document: dict[str, Any]) -> dict[str, Any]:
    routing = document["routing"]
    if routing["version"] == 1:
        return _ruleset_from_legacy(routing)
    ruleset: dict[str, Any] = routing["ruleset"]
    return ruleset


def ruleset_view(document: dict[str, Any], *, countries: bool) -> dict[str, Any]:
    return _in_form(_stored_ruleset(document), countries=countries)


def stored_form_is_countries(document: dict[str, Any]) -> bool:
    routing = document.get("routing")
    return bool(routing and routing["version"] == 2 and routing["payload_version"] == 1)


# --- the effective configuration ---------------------------------------------------------------


def _service_levels(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        level_id: {
            "id": level_id,
            "display_name": level["display_name"],
            "price": money.to_minor(level["price"], level["currency_code"]),
            "currency_code": level["currency_code"],
            "delivery_time": level.get("delivery_time", ""),
            "delivery_time_after_cutoff_hour": str(
                level.get("delivery_time_after_cutoff_hour", "")
            ),
            "remorse_period": level.get("remorse_period", 0),
            "tax_code": level.get("tax_code", ""),
        }
        for level_id, level in document["service_levels"].items()
    }


def _routes(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The routes as plain data, validated into models in one call by :func:`normalize`."""
    routing = document["routing"]
    if routing["version"] == 1:
        return [
            {
                "index": index,
                "countries": route["destination_region"]["countries"],
                "zip_codes": route["destination_region"]["zip_codes"],
                "fulfilled_by": route["fulfilled_by"],
            }
            for index, route in enumerate(routing["routes"])
        ]
    ruleset = routing["ruleset"]
    groups: dict[str, list[str]] = ruleset.get("location_groups", {})
    preferred: dict[str, list[str]] = ruleset.get("preferred_locations", {})
    regions: dict[str, list[str]] = ruleset.get("zip_code_regions", {})
    routes: list[dict[str, Any]] = []
    for index, route in enumerate(ruleset["routes"]):
        region = route["destination_region"]
        region_name = region.get("zip_code_region")
        fulfilled_by: dict[str, list[dict[str, Any]]] = {}
        for level, group_names in route["fulfilled_by"].items():
            nodes: list[dict[str, Any]] = []
            seen: set[str] = set()
            for group in group_names:
                # Preferred locations of a group are tried before the rest of it.
                for node_id in [*preferred.get(group, []), *groups.get(group, [])]:
                    if node_id not in seen:
                        seen.add(node_id)
                        nodes.append({"fulfillment_node_id": node_id, "location_group": group})
            fulfilled_by[level] = nodes
        routes.append(
            {
                "index": index,
                "countries": region.get("countries") or [region["country"]],
                "zip_codes": regions.get(region_name, []) if region_name else ["*"],
                "zip_code_region": region_name,
                "fulfilled_by": fulfilled_by,
            }
        )
    return routes


def normalize(document: dict[str, Any], version: int) -> FulfillmentConfiguration | None:
    """The effective configuration of a *valid* document; None while it has no routing.

    Built as plain data and validated in one call: pydantic-core builds the nested models far
    faster than constructing them one by one (this runs on checkout's path).
    """
    routing = document.get("routing")
    if routing is None:
        return None
    ruleset = routing.get("ruleset", {})
    priority = (
        routing["sl_levels_priority"] if routing["version"] == 1 else ruleset["sl_levels_priority"]
    )
    return FulfillmentConfiguration.model_validate(
        {
            "version": version,
            "ruleset_version": routing["version"],
            "service_levels": _service_levels(document),
            "sl_levels_priority": priority,
            "routes": _routes(document),
            "provider_rates": document["provider_rates"],
            "provider_rate_priorities": document["provider_rate_priorities"],
            "location_groups": ruleset.get("location_groups", {}),
        }
    )


def legacy_view(document: dict[str, Any], version: int) -> dict[str, Any]:
    """``{"fulfillment_config": …}`` as the seed shows it; version 2 routes are expanded to
    their nodes, each with the provider rate it would use."""
    config = normalize(document, version)
    assert config is not None
    routing = document["routing"]
    if routing["version"] == 1:
        routes = copy.deepcopy(routing["routes"])
    else:
        routes = [
            {
                "destination_region": {
                    "countries": list(route.countries),
                    "zip_codes": list(route.zip_codes),
                },
                "fulfilled_by": {
                    level: [
                        {
                            "fulfillment_node_id": node.fulfillment_node_id,
                            "provider_rate": _rate_id(config, level, node.fulfillment_node_id),
                        }
                        for node in nodes
                    ]
                    for level, nodes in route.fulfilled_by.items()
                },
            }
            for route in config.routes
        ]
    body: dict[str, Any] = {
        "provider_rates": {
            rate_id: _rate_to_legacy(rate) for rate_id, rate in document["provider_rates"].items()
        },
        "routes": routes,
        "service_levels": copy.deepcopy(document["service_levels"]),
        "sl_levels_priority": list(config.sl_levels_priority),
    }
    if document["provider_rate_priorities"]:
        body["provider_rates_priority"] = copy.deepcopy(document["provider_rate_priorities"])
    return {"fulfillment_config": body}


def _rate_id(config: FulfillmentConfiguration, level: str, node_id: str) -> str:
    rate = config.provider_rate_for(level, node_id)
    return rate.id if rate is not None else ""
