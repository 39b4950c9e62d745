"""Fulfillment locations and the stores they are.

A location is created by the first availability import that names its ``fulfillment_node_id``
(the seed's "dummy availability import per location"); a ``store_mapping`` record of an import
says which store it is (store id, country, time zone). Locations are never created from an
order or an ATP answer: a location the platform does not know stays unknown, which is exactly
what the "Products not available" evaluation must be able to report.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.cache import Recent
from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.locations import repository
from cashwrap.locations.models import FulfillmentLocation

MAX_STORE_PAGE = 100


@dataclass(frozen=True)
class StoreMapping:
    store_id: str
    fulfillment_node_id: str
    country_code: str
    description: str | None
    timezone: str


async def get_location(session: AsyncSession, tenant: str, node_id: str) -> FulfillmentLocation:
    location = await session.get(FulfillmentLocation, (tenant, node_id))
    if location is None:
        raise _unknown(node_id)
    return location


async def require_location(session: AsyncSession, tenant: str, node_id: str) -> None:
    """404 ``location_not_found`` unless the location exists (one indexed read, no ORM)."""
    if not await repository.location_exists(session, tenant, node_id):
        raise _unknown(node_id)


def _unknown(node_id: str) -> NotFound:
    return NotFound(f"fulfillment location {node_id!r} does not exist", code="location_not_found")


async def known_location_ids(
    session: AsyncSession, tenant: str, among: Collection[str] | None = None
) -> set[str]:
    """The fulfillment_node_ids the platform knows (all, or those of ``among`` that exist)."""
    if among is None:
        return set(await repository.all_node_ids(session, tenant))
    return await repository.existing_node_ids(session, tenant, among)


async def list_locations(session: AsyncSession, tenant: str) -> list[FulfillmentLocation]:
    rows = await session.scalars(
        select(FulfillmentLocation)
        .where(FulfillmentLocation.tenant == tenant)
        .order_by(FulfillmentLocation.fulfillment_node_id)
    )
    return list(rows)


async def list_stores(
    session: AsyncSession,
    tenant: str,
    *,
    limit: int,
    start_at: str | None = None,
    country_codes: Sequence[str] = (),
) -> tuple[list[FulfillmentLocation], str | None]:
    """Locations that are stores, ordered by store id; the key of the next page or None."""
    if not 1 <= limit <= MAX_STORE_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_STORE_PAGE}", code="invalid_limit")
    query = select(FulfillmentLocation).where(
        FulfillmentLocation.tenant == tenant, FulfillmentLocation.store_id.is_not(None)
    )
    if start_at:
        query = query.where(FulfillmentLocation.store_id >= start_at)
    if country_codes:
        query = query.where(
            FulfillmentLocation.country_code.in_([code.upper() for code in country_codes])
        )
    rows = list(
        await session.scalars(query.order_by(FulfillmentLocation.store_id).limit(limit + 1))
    )
    next_key = rows[limit].store_id if len(rows) > limit else None
    return rows[:limit], next_key


async def get_store(session: AsyncSession, tenant: str, store_id: str) -> FulfillmentLocation:
    location = await session.scalar(
        select(FulfillmentLocation).where(
            FulfillmentLocation.tenant == tenant, FulfillmentLocation.store_id == store_id
        )
    )
    if location is None:
        raise NotFound(f"store {store_id!r} does not exist", code="store_not_found")
    return location


_STORE_NODES: Recent[tuple[int, str, str], str] = Recent()


async def store_node(
    session: AsyncSession, tenant: str, store_id: str, *, max_age: float = 0.0
) -> str:
    """The fulfillment_node_id of a store (one indexed read, no ORM: every new cart asks);
    404 ``store_not_found``. ``max_age`` > 0: a node this process found at most that long ago
    serves (a store found missing is always asked again, so a store imported just now is
    known at once)."""
    key = (id(session.bind), tenant, store_id)
    node = _STORE_NODES.get(key, max_age)
    if node is not None:
        return node
    node = await repository.node_of_store(session, tenant, store_id)
    if node is None:
        raise NotFound(f"store {store_id!r} does not exist", code="store_not_found")
    _STORE_NODES.put(key, node, max_age)
    return node


async def update_store(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    *,
    country_code: str,
    description: str | None,
    timezone: str | None,
) -> FulfillmentLocation:
    location = await get_store(session, tenant, store_id)
    location.country_code = country_code.upper()
    location.description = description
    if timezone is not None:
        location.timezone = timezone
    location.updated_at = clock.now()
    await session.flush()
    return location


async def ensure_locations(
    session: AsyncSession, tenant: str, node_ids: Collection[str], *, import_id: str | None
) -> int:
    """Create the locations among ``node_ids`` that do not exist yet; how many were created.

    Idempotent and safe against a concurrent import creating the same node: the insert skips
    rows that exist by then (``ON CONFLICT DO NOTHING``).
    """
    existing = await repository.existing_node_ids(session, tenant, node_ids)
    missing = sorted(set(node_ids) - existing)
    moment = clock.now()
    await repository.insert_locations_if_missing(
        session,
        [
            {
                "tenant": tenant,
                "fulfillment_node_id": node,
                "store_id": None,
                "description": None,
                "country_code": None,
                "timezone": None,
                "created_by_import": import_id,
                "created_at": moment,
                "updated_at": moment,
            }
            for node in missing
        ],
    )
    return len(missing)


async def apply_store_mappings(
    session: AsyncSession,
    tenant: str,
    mappings: Sequence[StoreMapping],
    *,
    import_id: str | None,
) -> tuple[int, dict[int, tuple[str, str]]]:
    """Create or update the locations these mappings name, as stores.

    Returns (locations created, {index of a refused mapping: (error_code, message)}). A
    store id already held by another location, or named twice in one batch, is refused.
    """
    problems: dict[int, tuple[str, str]] = {}
    seen_store: dict[str, int] = {}
    seen_node: dict[str, int] = {}
    for index, mapping in enumerate(mappings):
        if mapping.store_id in seen_store or mapping.fulfillment_node_id in seen_node:
            problems[index] = (
                "duplicate_store_mapping",
                f"store {mapping.store_id!r} / node {mapping.fulfillment_node_id!r} is mapped "
                "more than once in this import",
            )
            continue
        seen_store[mapping.store_id] = index
        seen_node[mapping.fulfillment_node_id] = index
    holders = await repository.stores_by_store_id(session, tenant, seen_store)
    accepted: list[StoreMapping] = []
    for index, mapping in enumerate(mappings):
        if index in problems:
            continue
        holder = holders.get(mapping.store_id)
        if holder is not None and holder != mapping.fulfillment_node_id:
            problems[index] = (
                "store_id_taken",
                f"store {mapping.store_id!r} is already fulfillment location {holder!r}",
            )
            continue
        accepted.append(mapping)
    created = await ensure_locations(
        session, tenant, [m.fulfillment_node_id for m in accepted], import_id=import_id
    )
    moment = clock.now()
    for mapping in accepted:
        location = await session.get(FulfillmentLocation, (tenant, mapping.fulfillment_node_id))
        if location is None:  # pragma: no cover - ensure_locations just created it
            raise Conflict("a fulfillment location disappeared during the import")
        location.store_id = mapping.store_id
        location.country_code = mapping.country_code.upper()
        location.description = mapping.description
        location.timezone = mapping.timezone
        location.updated_at = moment
    await session.flush()
    return created, problems
