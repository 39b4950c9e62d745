"""The fulfillment configuration: one document, three APIs, one effective configuration.

The document ``fulfillment`` holds ``service_levels``, ``provider_rates``,
``provider_rate_priorities`` and ``routing``:

* ``PUT /v0/config/fulfillment`` (the seed's legacy document) replaces all of it; its routes
  are kept as written (``routing.version`` 1: nodes and provider rates inside each route).
* ``PUT|PATCH /v0/routing/ruleset`` replaces ``routing`` only (``routing.version`` 2: location
  groups and zip-code regions), keeping service levels and provider rates.
* ``/fulfillment/provider-rates[/{id}]`` and ``/fulfillment/provider-rate-priorities`` change
  provider rates and their order only.

Each API reads the same document through its own view (a version 1 routing is shown as a
version 2 ruleset and the other way round), every write validates the *whole* resulting
configuration, and :func:`effective` turns it into the one
:class:`~cashwrap.config.schemas.FulfillmentConfiguration` the rest of the platform reads.
Because all parts live in one versioned row, a ruleset write and a provider-rate write can never
interleave into a configuration nobody validated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonpatch
import jsonpointer
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import repository
from cashwrap.config.repository import StoredDocument
from cashwrap.config.schemas import (
    IDENTIFIER,
    FulfillmentConfigDocument,
    FulfillmentConfiguration,
    ProviderRate,
    ReplaceProviderRateSchema,
    RoutingRuleset,
)
from cashwrap.config.service.documents import (
    NO_PRECONDITION,
    Precondition,
    Snapshot,
    check_precondition,
    parse,
    snapshot,
    write,
)
from cashwrap.config.service.fulfillment_rules import Problem, problems, validate
from cashwrap.config.service.fulfillment_views import (
    empty_document,
    legacy_view,
    normalize,
    rate_from_legacy,
    ruleset_view,
    stored_form_is_countries,
)
from cashwrap.core.errors import Conflict, InvalidInput, NotFound

__all__ = ["FULFILLMENT", "Problem", "normalize", "problems", "validate"]

FULFILLMENT = "fulfillment"
WHAT = "fulfillment configuration"


def _document(stored: StoredDocument) -> dict[str, Any]:
    return copy.deepcopy(stored.value) if stored.is_set else empty_document()


# --- reads -------------------------------------------------------------------------------------


async def read(session: AsyncSession, tenant: str) -> StoredDocument:
    return await repository.read(session, tenant, FULFILLMENT)


async def effective(session: AsyncSession, tenant: str) -> FulfillmentConfiguration | None:
    stored = await read(session, tenant)
    return normalize(stored.value, stored.version) if stored.is_set else None


def _require_routing(stored: StoredDocument, fix: str) -> dict[str, Any]:
    document = _document(stored)
    if document["routing"] is None:
        raise NotFound(f"there is no fulfillment configuration yet; {fix}", code="not_found")
    return document


async def legacy(session: AsyncSession, tenant: str) -> tuple[Snapshot, int]:
    """The legacy document and the routing version stored (1 or 2)."""
    stored = await read(session, tenant)
    document = _require_routing(stored, "create it with PUT /v0/config/fulfillment")
    return snapshot(stored, legacy_view(document, stored.version)), document["routing"]["version"]


async def ruleset(session: AsyncSession, tenant: str, *, countries: bool) -> tuple[Snapshot, int]:
    """The ruleset (``countries`` form if asked or stored so) and the routing version stored."""
    stored = await read(session, tenant)
    document = _require_routing(stored, "create it with PUT /v0/routing/ruleset")
    form = countries or stored_form_is_countries(document)
    return snapshot(stored, ruleset_view(document, countries=form)), document["routing"]["version"]


async def ruleset_section(session: AsyncSession, tenant: str, section: str) -> Snapshot:
    stored = await read(session, tenant)
    document = _require_routing(stored, "create it with PUT /v0/routing/ruleset")
    if document["routing"]["version"] == 1:
        raise Conflict(
            "the fulfillment configuration is stored as version 1 (PUT /v0/config/fulfillment); "
            "sections exist only for a version 2 ruleset: PUT /v0/routing/ruleset",
            code="fulfillment_config_version_mismatch",
        )
    view = ruleset_view(document, countries=stored_form_is_countries(document))
    return snapshot(stored, {section: view[section]})


async def provider_rates(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await read(session, tenant)
    rates = list(_document(stored)["provider_rates"].values())
    return snapshot(stored, {"data": rates})


async def provider_rate(session: AsyncSession, tenant: str, rate_id: str) -> Snapshot:
    stored = await read(session, tenant)
    rate = _document(stored)["provider_rates"].get(rate_id)
    if rate is None:
        raise NotFound(f"there is no provider rate {rate_id!r}", code="not_found")
    return snapshot(stored, rate)


async def provider_rate_priorities(session: AsyncSession, tenant: str) -> Snapshot:
    stored = await read(session, tenant)
    return snapshot(stored, _document(stored)["provider_rate_priorities"])


# --- writes ------------------------------------------------------------------------------------


async def _write(
    session: AsyncSession,
    tenant: str,
    change: Callable[[dict[str, Any], StoredDocument], None],
    *,
    precondition: Precondition,
    updated_by: str,
) -> StoredDocument:
    def compute(current: StoredDocument) -> dict[str, Any]:
        document = _document(current)
        change(document, current)
        validate(document)
        return document

    return await write(
        session,
        tenant,
        FULFILLMENT,
        compute,
        precondition=precondition,
        updated_by=updated_by,
        what=WHAT,
    )


async def put_legacy(
    session: AsyncSession,
    tenant: str,
    body: FulfillmentConfigDocument,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Replace the whole configuration with the seed's document (routing version 1)."""
    config = body.fulfillment_config

    def change(document: dict[str, Any], _current: StoredDocument) -> None:
        document.update(
            service_levels={
                level_id: level.model_dump() for level_id, level in config.service_levels.items()
            },
            provider_rates={
                rate_id: rate_from_legacy(rate_id, rate)
                for rate_id, rate in config.provider_rates.items()
            },
            provider_rate_priorities=dict(config.provider_rates_priority or {}),
            routing={
                "version": 1,
                "routes": [route.model_dump() for route in config.routes],
                "sl_levels_priority": list(config.sl_levels_priority),
            },
        )

    stored = await _write(session, tenant, change, precondition=precondition, updated_by=updated_by)
    return snapshot(stored, legacy_view(stored.value, stored.version))


def _check_form(ruleset_value: dict[str, Any], *, countries: bool) -> None:
    for index, route in enumerate(ruleset_value["routes"]):
        region = route["destination_region"]
        if countries and "country" in region:
            raise InvalidInput(
                f"routes.{index}.destination_region.country: with Content-Type "
                "'application/json; version=1' a route names its countries in countries[]",
                code="invalid_request",
            )
        if not countries and "countries" in region:
            raise InvalidInput(
                f"routes.{index}.destination_region.countries: countries[] needs "
                "Content-Type 'application/json; version=1'; without it a route names one country",
                code="invalid_request",
            )


def _ruleset_change(
    ruleset_value: dict[str, Any], *, countries: bool, precondition: Precondition
) -> Callable[[dict[str, Any], StoredDocument], None]:
    def change(document: dict[str, Any], current: StoredDocument) -> None:
        if document["routing"] is not None:
            check_precondition(precondition, current, "routing ruleset")
        document["routing"] = {
            "version": 2,
            "payload_version": 1 if countries else 0,
            "ruleset": ruleset_value,
        }

    return change


def ruleset_response(stored: StoredDocument, *, countries: bool) -> dict[str, Any]:
    return {
        "fulfillment_config_uri": f"v0/fulfillment_configuration/revision/{stored.version}",
        "routing_ruleset": ruleset_view(stored.value, countries=countries),
    }


async def put_ruleset(
    session: AsyncSession,
    tenant: str,
    body: RoutingRuleset,
    *,
    countries: bool,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Seed or replace the routing (version 2); ``If-Match`` is ignored while none exists."""
    value = body.model_dump(exclude_none=True)
    _check_form(value, countries=countries)
    stored = await _write(
        session,
        tenant,
        _ruleset_change(value, countries=countries, precondition=precondition),
        precondition=NO_PRECONDITION,
        updated_by=updated_by,
    )
    return snapshot(stored, ruleset_response(stored, countries=countries))


async def patch_ruleset(
    session: AsyncSession,
    tenant: str,
    operations: list[dict[str, Any]],
    *,
    countries: bool,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Apply an RFC 6902 JSON Patch to the ruleset as ``GET`` shows it in the same form."""

    def change(document: dict[str, Any], current: StoredDocument) -> None:
        if document["routing"] is None:
            raise NotFound(
                "there is no routing ruleset to patch yet; PUT /v0/routing/ruleset first",
                code="not_found",
            )
        check_precondition(precondition, current, "routing ruleset")
        routing = document["routing"]
        if routing["version"] == 2 and (routing["payload_version"] == 1) != countries:
            raise InvalidInput(
                "the ruleset is stored with "
                + ("countries[]" if routing["payload_version"] == 1 else "country")
                + " routes; patch it with the matching Content-Type, or PUT it in the new form "
                "first",
                code="ruleset_payload_version_mismatch",
            )
        patched = _apply_patch(ruleset_view(document, countries=countries), operations)
        value = parse(RoutingRuleset, patched).model_dump(exclude_none=True)
        _check_form(value, countries=countries)
        _ruleset_change(value, countries=countries, precondition=NO_PRECONDITION)(document, current)

    stored = await _write(
        session, tenant, change, precondition=NO_PRECONDITION, updated_by=updated_by
    )
    return snapshot(stored, ruleset_response(stored, countries=countries))


def _apply_patch(target: dict[str, Any], operations: list[dict[str, Any]]) -> Any:
    try:
        return jsonpatch.JsonPatch(operations).apply(target)
    except jsonpatch.JsonPatchTestFailed as error:
        raise Conflict(f"JSON Patch test failed: {error}", code="json_patch_test_failed") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise InvalidInput(
            f"the JSON Patch cannot be applied: {error}", code="invalid_json_patch"
        ) from None
    except (TypeError, KeyError, ValueError) as error:
        raise InvalidInput(
            f"the JSON Patch is malformed: {error}", code="invalid_json_patch"
        ) from None


def check_rate_id(rate_id: str) -> None:
    if not IDENTIFIER.match(rate_id):
        raise InvalidInput(
            "provider_rate_id: 1-128 characters, no spaces or '/'", code="invalid_provider_rate_id"
        )


async def put_provider_rate(
    session: AsyncSession,
    tenant: str,
    rate_id: str,
    body: ReplaceProviderRateSchema,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    check_rate_id(rate_id)
    rate = ProviderRate(
        id=rate_id,
        **{
            **body.model_dump(),
            "carrier_defined_service_level": body.carrier_defined_service_level or rate_id,
        },
    ).model_dump()

    def change(document: dict[str, Any], _current: StoredDocument) -> None:
        document["provider_rates"][rate_id] = rate

    stored = await _write(session, tenant, change, precondition=precondition, updated_by=updated_by)
    return snapshot(stored, rate)


async def delete_provider_rate(
    session: AsyncSession,
    tenant: str,
    rate_id: str,
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Delete a provider rate no route or return rate uses; it leaves its priority list too."""

    def change(document: dict[str, Any], _current: StoredDocument) -> None:
        if rate_id not in document["provider_rates"]:
            raise NotFound(f"there is no provider rate {rate_id!r}", code="not_found")
        users = [
            f"provider_rates.{other}"
            for other, rate in document["provider_rates"].items()
            if rate["return_provider_rate_id"] == rate_id and other != rate_id
        ]
        routing = document["routing"]
        if routing is not None and routing["version"] == 1:
            config = normalize(document, 0)
            assert config is not None
            users += [
                route.describe()
                for route in config.routes
                if any(
                    node.provider_rate == rate_id
                    for nodes in route.fulfilled_by.values()
                    for node in nodes
                )
            ]
        if users:
            raise Conflict(
                f"provider rate {rate_id!r} is in use by {', '.join(users)}; change those first",
                code="provider_rate_in_use",
            )
        del document["provider_rates"][rate_id]
        for level, rate_ids in list(document["provider_rate_priorities"].items()):
            remaining = [other for other in rate_ids if other != rate_id]
            if remaining:
                document["provider_rate_priorities"][level] = remaining
            else:
                del document["provider_rate_priorities"][level]

    stored = await _write(session, tenant, change, precondition=precondition, updated_by=updated_by)
    return snapshot(stored, {})


async def put_provider_rate_priorities(
    session: AsyncSession,
    tenant: str,
    body: dict[str, list[str]],
    *,
    precondition: Precondition = NO_PRECONDITION,
    updated_by: str,
) -> Snapshot:
    """Replace the order of provider rates per service level: ``{service_level: [rate ids]}``."""

    def change(document: dict[str, Any], _current: StoredDocument) -> None:
        document["provider_rate_priorities"] = copy.deepcopy(body)

    stored = await _write(session, tenant, change, precondition=precondition, updated_by=updated_by)
    return snapshot(stored, stored.value["provider_rate_priorities"])
