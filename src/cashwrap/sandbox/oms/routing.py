"""Where the OMS sends an order's shipped items, and the injection of store fulfillments.

The seed: "The external OMS creates an order and routes the order for fulfillment. If your
business uses NewStore for store fulfillment, the external OMS routes the order back to NewStore
with a different order number for fulfillment if the order needs to be fulfilled from a store
and not a DC." And for store orders: "If there is no inventory in the store … the order is
cancelled by the platform, and the order.cancelled event is emitted. The external OMS then
re-routes the order to a different store."

:func:`route` decides, inside the event handler's transaction, per service level of the
order's shipped items (setting ``routing``):

* ``auto`` (default) — one of the OMS's distribution centres (setting ``dc_locations``) holding
  every unit ships them at once; otherwise the first store (any other location, in id order)
  holding every unit fulfils them;
* ``dc`` / ``store`` — only that kind.

The units are taken from the OMS's stock at the chosen location. A store fulfillment gets a new
order number ``<order>-R<attempt>`` and its injection payload (routing ``external`` with the
store's ``fulfillment_node_id``), built once; :class:`Injector` sends it with the SDK's client
after the transaction committed — never inside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.sandbox.common.app import Sandbox
from cashwrap.sandbox.oms.models import Fulfillment, OmsOrder, PlatformConnection, Stock
from cashwrap.sandbox.oms.orders import IN_STORE_HANDOVER, set_items
from cashwrap.sdk.auth import PlatformAuth
from cashwrap.sdk.errors import InjectionFailed, InjectionRejected, PlatformError
from cashwrap.sdk.injection import OrderInjectionClient, RetryPolicy
from cashwrap.sdk.models import (
    ExtendedAttribute,
    ExternalRouting,
    InjectedOrderRequest,
    ItemPrice,
    Payment,
    Shipment,
    ShipmentItem,
    ShippingOption,
    TaxLine,
)

logger = logging.getLogger("cashwrap.sandbox.oms")
RETRY_LATER = timedelta(seconds=5)


async def _holders(
    session: AsyncSession, needed: Counter[str], locations: Sequence[str] | None
) -> list[str]:
    """Locations (among ``locations``, or all) holding every needed unit, in id order."""
    query = select(Stock).where(Stock.product_id.in_(list(needed)))
    if locations is not None:
        query = query.where(Stock.location.in_(list(locations)))
    rows = (await session.scalars(query)).all()
    held: dict[str, Counter[str]] = {}
    for row in rows:
        held.setdefault(row.location, Counter())[row.product_id] = row.atp
    return sorted(
        location
        for location, units in held.items()
        if all(units[product] >= count for product, count in needed.items())
    )


async def _take(session: AsyncSession, location: str, needed: Counter[str]) -> None:
    for product, count in needed.items():
        await session.execute(
            update(Stock)
            .where(Stock.location == location, Stock.product_id == product)
            .values(atp=Stock.atp - count)
        )


async def _choose(
    session: AsyncSession,
    needed: Counter[str],
    *,
    mode: str,
    dc_locations: Sequence[str],
    exclude: Sequence[str],
) -> tuple[str, str] | None:
    if mode in ("auto", "dc"):
        for location in await _holders(session, needed, dc_locations):
            if location not in exclude:
                return "dc", location
    if mode in ("auto", "store"):
        for location in await _holders(session, needed, None):
            if location not in dc_locations and location not in exclude:
                return "store", location
    return None


def copy_number(order_id: str, attempt: int) -> str:
    """The order number of a store fulfillment (≤ 64 characters, as injection requires)."""
    number = f"{order_id}-R{attempt}"
    if len(number) <= 64:
        return number
    digest = hashlib.sha256(order_id.encode()).hexdigest()[:12]
    return f"{order_id[:40]}~{digest}-R{attempt}"


async def route(
    sandbox: Sandbox,
    session: AsyncSession,
    order: OmsOrder,
    item_ids: Sequence[str] | None = None,
    *,
    attempt: int = 1,
    exclude: Sequence[str] = (),
    stores_only: bool = False,
) -> list[Fulfillment]:
    """Route the order's shipped items (or ``item_ids``) that are not done; see the module."""
    mode = await sandbox.setting(session, "routing")
    if stores_only and mode == "dc":
        mode = "none"
    elif stores_only:
        mode = "store"
    dc_locations = list(await sandbox.setting(session, "dc_locations"))
    items = [
        item
        for item in order.document["items"]
        if item.get("shipping_service_level", IN_STORE_HANDOVER) != IN_STORE_HANDOVER
        and item["status"] not in ("complete", "cancelled", "returned")
        and (item_ids is None or item["id"] in item_ids)
    ]
    by_level: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_level.setdefault(item["shipping_service_level"], []).append(item)
    created = []
    now = clock.now()
    for level, group in by_level.items():
        needed = Counter(item["product_id"] for item in group)
        chosen = await _choose(
            session, needed, mode=mode, dc_locations=dc_locations, exclude=exclude
        )
        fulfillment = Fulfillment(
            id=new_id(),
            order_id=order.id,
            item_ids=[item["id"] for item in group],
            service_level=level,
            attempt=attempt,
            http_attempts=0,
            created_at=now,
            updated_at=now,
        )
        if chosen is None:
            fulfillment.kind = "store" if stores_only else "none"
            fulfillment.location = None
            fulfillment.status = "failed"
            fulfillment.tried_locations = list(exclude)
            fulfillment.reason = (
                "no other store holds every unit" if stores_only else "no location holds every unit"
            )
            set_items(order, fulfillment.item_ids, "on_hold")
        else:
            kind, location = chosen
            await _take(session, location, needed)
            fulfillment.kind = kind
            fulfillment.location = location
            fulfillment.tried_locations = [*exclude, location]
            if kind == "dc":
                fulfillment.status = "shipped"
                fulfillment.tracking_code = f"DC{new_id().replace('-', '')[-12:].upper()}"
                set_items(order, fulfillment.item_ids, "complete")
            else:
                fulfillment.status = "pending"
                fulfillment.external_id = copy_number(order.id, attempt)
                fulfillment.request = await _injection(
                    sandbox, session, order, group, fulfillment.external_id, location, level
                )
                set_items(order, fulfillment.item_ids, "in_fulfillment")
        session.add(fulfillment)
        created.append(fulfillment)
    return created


async def _injection(
    sandbox: Sandbox,
    session: AsyncSession,
    order: OmsOrder,
    items: Sequence[dict[str, Any]],
    number: str,
    store: str,
    service_level: str,
) -> dict[str, Any]:
    """The injection payload of a store fulfillment (validated by the SDK's model)."""
    document = order.document
    price_method = document.get("_price_method", "tax_included")
    shipment_items = []
    total = Decimal(0)
    for item in items:
        price = item.get("_price") or {}
        item_price = Decimal(str(price.get("item_price", item["price"]["gross"])))
        list_price = Decimal(str(price.get("item_list_price", item_price)))
        tax = Decimal(str(price.get("item_tax", item["price"]["tax"])))
        lines = [
            TaxLine(
                amount=Decimal(str(line["amount"])),
                name=line.get("name") or "tax",
                rate=Decimal(str(line.get("rate") or 0)),
            )
            for line in price.get("item_tax_lines", [])
        ]
        shipment_items.append(
            ShipmentItem(
                external_item_id=item["id"][:64],
                product_id=item["product_id"],
                price=ItemPrice(
                    item_list_price=list_price, item_price=item_price, item_tax_lines=lines
                ),
            )
        )
        total += item_price + (tax if price_method == "tax_excluded" else Decimal(0))
    payments = []
    if total > 0:
        method = next(
            (p.get("method") for p in document.get("_payments", []) if p.get("method")),
            "credit_card",
        )
        payments.append(
            Payment(
                amount=total,
                correlation_ref=f"{number}-paid",
                method=method,
                processed_at=clock.now(),
                processor=await sandbox.setting(session, "channel_name"),
                type="captured",
            )
        )
    request = InjectedOrderRequest(
        external_id=number,
        shop=await sandbox.setting(session, "shop"),
        shop_locale=await sandbox.setting(session, "shop_locale"),
        channel_type="store" if document.get("_channel_type") == "store" else "web",
        channel_name=await sandbox.setting(session, "channel_name"),
        currency=document["currency"],
        placed_at=clock.now(),
        price_method=price_method,
        customer_email=(document.get("customer") or {}).get("email") or None,
        customer_name=(document.get("customer") or {}).get("name") or None,
        shipping_address=document.get("shipping_address") or None,
        billing_address=document.get("billing_address") or None,
        is_preconfirmed=True,
        shipments=[
            Shipment(
                items=shipment_items,
                shipping_option=ShippingOption(
                    service_level_identifier=service_level,
                    price=Decimal(0),
                    tax=Decimal(0),
                    routing_strategy=ExternalRouting(fulfillment_node_id=store),
                ),
            )
        ],
        payments=payments or None,
        extended_attributes=[ExtendedAttribute(name="oms_order_id", value=order.id)],
    )
    wire: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return wire


class Injector:
    """Sends pending store fulfillments to the platform, one task per process.

    A fulfillment is claimed (``pending`` → ``injecting``) in one transaction, injected with no
    transaction open, and its outcome written in another, by a conditional update (an
    ``order.cancelled`` handled meanwhile wins). A process that dies mid-injection leaves
    ``injecting`` rows; the next start puts them back to ``pending`` and sends the *same*
    payload again, which the platform's idempotency on ``external_id`` makes safe.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.wake = asyncio.Event()
        self._clients: dict[tuple[str, ...], OrderInjectionClient] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.sandbox.transaction() as session:
            await session.execute(
                update(Fulfillment)
                .where(Fulfillment.status == "injecting")
                .values(status="pending")
            )
        self._task = asyncio.create_task(self._run(), name="oms-injector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _run(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=1.0)
            self.wake.clear()
            try:
                while await self.step():
                    pass
            except Exception:
                logger.exception("the injector failed; it tries again")

    async def step(self) -> int:
        """Inject the fulfillments due now; how many were tried."""
        now = clock.now()
        async with self.sandbox.transaction() as session:
            platform = await session.get(PlatformConnection, 1)
            if platform is None:
                return 0
            rows = (
                await session.scalars(
                    select(Fulfillment)
                    .where(Fulfillment.status == "pending", Fulfillment.kind == "store")
                    .order_by(Fulfillment.created_at)
                    .limit(8)
                )
            ).all()
            due = [
                row
                for row in rows
                if row.request is not None
                and (row.next_attempt_at is None or clock.as_utc(row.next_attempt_at) <= now)
            ]
            for row in due:
                row.status = "injecting"
            jobs = [(row.id, dict(row.request or {})) for row in due]
            client = self._client(platform)
        if not jobs:
            return 0
        await asyncio.gather(*(self._inject(client, row_id, body) for row_id, body in jobs))
        return len(jobs)

    def _client(self, platform: PlatformConnection) -> OrderInjectionClient:
        key = (
            platform.url,
            platform.tenant,
            platform.client_id,
            platform.client_secret,
            platform.token_url or "",
        )
        client = self._clients.get(key)
        if client is None:
            auth = PlatformAuth.client_credentials(
                platform.url,
                platform.tenant,
                platform.client_id,
                platform.client_secret,
                token_url=platform.token_url,
            )
            client = OrderInjectionClient(
                platform.url,
                auth,
                retry=RetryPolicy(max_attempts=6, delay=0.3, max_delay=3.0, deadline=60.0),
            )
            self._clients[key] = client
        return client

    async def _inject(
        self, client: OrderInjectionClient, row_id: str, body: dict[str, Any]
    ) -> None:
        values: dict[str, Any]
        try:
            result = await client.inject_detailed(body)
        except InjectionRejected as error:
            values = {"status": "failed", "reason": error.message, "http_attempts": 1}
        except InjectionFailed as error:
            values = {
                "status": "pending",
                "reason": f"{error.message}; trying again",
                "http_attempts": error.attempts,
                "next_attempt_at": clock.now() + RETRY_LATER,
            }
        except PlatformError as error:
            values = {
                "status": "pending",
                "reason": f"{error.message}; trying again",
                "next_attempt_at": clock.now() + RETRY_LATER,
            }
        else:
            values = {
                "status": "injected",
                "platform_order_id": result.response.id,
                "reason": None,
                "http_attempts": len(result.attempts),
            }
        values["updated_at"] = clock.now()
        async with self.sandbox.transaction() as session:
            await session.execute(
                update(Fulfillment)
                .where(Fulfillment.id == row_id, Fulfillment.status == "injecting")
                .values(**values)
            )
            if values["status"] == "injected":
                # The platform's fulfillment_request.assigned may have been handled before this
                # answer came back: keep that status, record the answer.
                await session.execute(
                    update(Fulfillment)
                    .where(Fulfillment.id == row_id, Fulfillment.status == "assigned")
                    .values({k: v for k, v in values.items() if k != "status"})
                )
            if values["status"] == "failed":
                row = await session.get(Fulfillment, row_id)
                order = await session.get(OmsOrder, row.order_id) if row is not None else None
                if row is not None and order is not None and row.status == "failed":
                    set_items(order, row.item_ids, "on_hold")
        if values["status"] == "pending":
            self.wake.set()
