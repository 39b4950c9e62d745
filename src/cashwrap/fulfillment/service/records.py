"""Reading fulfillment requests with what their views need: items, and the order they serve.

An item's state is shown as the order sees it too (:func:`cashwrap.fulfillment.states.item_state`):
an order cancelled by anyone shows its open items ``cancelled`` without this domain being told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core.errors import NotFound
from cashwrap.fulfillment import repository
from cashwrap.fulfillment.states import OPEN_STATUSES, ApiStatus, api_status, item_state
from cashwrap.locations import service as locations
from cashwrap.orders import service as orders

MAX_LISTED = 2000


@dataclass
class RequestRecord:
    """One request's row, its items' rows (each with ``state``), and its order's record."""

    request: dict[str, Any]
    items: list[dict[str, Any]]
    order: orders.OrderRecord | None = None
    order_items: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.request["id"])

    @property
    def status(self) -> str:
        return str(self.request["status"])

    @property
    def api_status(self) -> ApiStatus:
        return api_status(self.status, (item["state"] for item in self.items))

    def open_items(self) -> list[dict[str, Any]]:
        """Items still to fulfil (not shipped, rejected or cancelled, here or by the order)."""
        return [item for item in self.items if item["state"] == "dispatched"]

    def left_by_its_order(self) -> bool:
        """Open, yet nothing is left to do: the order cancelled every item meanwhile."""
        return self.status in OPEN_STATUSES and not self.open_items()


async def load(
    session: AsyncSession, tenant: str, rows: Sequence[dict[str, Any]]
) -> list[RequestRecord]:
    """Records of ``rows`` with their items and orders (three queries whatever the count)."""
    if not rows:
        return []
    items = await repository.items_of(session, [row["id"] for row in rows])
    found = await orders.orders_by_id(session, tenant, [row["order_id"] for row in rows])
    records = []
    for row in rows:
        order = found.get(row["order_id"])
        order_items = {item["id"]: item for item in order.items} if order else {}
        own = []
        for item in items[row["id"]]:
            status = order_items.get(item["item_id"], {}).get("status")
            own.append({**item, "state": str(item_state(item["status"], status))})
        records.append(RequestRecord(row, own, order, order_items))
    return records


async def load_each(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[RequestRecord]:
    """As :func:`load`, for rows of several tenants (three queries a tenant), in their order."""
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_tenant.setdefault(row["tenant"], []).append(row)
    loaded = {}
    for tenant, own in by_tenant.items():
        for record in await load(session, tenant, own):
            loaded[record.id] = record
    return [loaded[str(row["id"])] for row in rows]


async def get(
    session: AsyncSession,
    tenant: str,
    request_id: str,
    *,
    store_id: str | None = None,
    for_update: bool = False,
) -> RequestRecord:
    """One request; with ``store_id`` it must be that store's (another store's is not found)."""
    row = await repository.request_row(session, tenant, request_id, for_update=for_update)
    if row is None or (store_id is not None and row["store_id"] != store_id):
        where = f" at store {store_id!r}" if store_id is not None else ""
        raise NotFound(
            f"fulfillment request {request_id!r} does not exist{where}",
            code="fulfillment_request_not_found",
        )
    return (await load(session, tenant, [row]))[0]


async def for_order(
    session: AsyncSession, tenant: str, order_id: str
) -> tuple[list[RequestRecord], bool]:
    """The order's requests, earliest first; ``True`` when it has more than 2,000 (then the
    latest 2,000, as the reference says)."""
    too_many = await repository.count_of_order(session, tenant, order_id) > MAX_LISTED
    rows = await repository.requests_of_order(
        session, tenant, order_id, limit=MAX_LISTED if too_many else None
    )
    return await load(session, tenant, rows), too_many


async def store_queue(
    session: AsyncSession,
    tenant: str,
    store_id: str,
    *,
    statuses: Sequence[str],
    limit: int,
) -> tuple[str, list[RequestRecord]]:
    """(the store's fulfillment node, its first ``limit`` requests in ``statuses``), oldest
    first. Open requests whose order was cancelled meanwhile are left out — there is nothing to
    do — and the pages after them read, so that however many there are, they never hide a
    request that is still to do."""
    location = await locations.get_store(session, tenant, store_id)
    node_id = location.fulfillment_node_id
    shown: list[RequestRecord] = []
    after: tuple[Any, str] | None = None
    while len(shown) < limit:
        rows = await repository.queue(session, tenant, node_id, statuses, limit=limit, after=after)
        shown += [
            record for record in await load(session, tenant, rows) if not record.left_by_its_order()
        ]
        if len(rows) < limit:
            break
        after = (rows[-1]["created_at"], rows[-1]["id"])
    return node_id, shown[:limit]
