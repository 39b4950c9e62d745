"""Injecting an order: ``POST /v0/d/fulfill_order``.

**One transaction** writes everything the order causes — the injection record, the order and its
items (``order.created``), the reservations (soft allocations), one fulfillment request per
shipment routed to a location (``fulfillment_request.assigned``), and, for an order the platform
cannot take, its cancellation (``order.cancelled`` with the reason). Nothing is flushed through
the ORM on this path: ids are made up front, so the answer is known before the first write and
is stored with the record.

**Idempotent on ``external_id``.** The record, keyed by (tenant, ``external_id``), goes with the
transaction's first statement (the stock check, when there is one): of many concurrent requests
for one order, the database lets one insert it and the others wait for that transaction, fail on
the key, roll back, then find the record and answer from it. The same payload
gets the same answer (the stored bytes); another payload gets 400
``same_order_injection_with_different_data`` and changes nothing. The record is never updated,
so a cancelled order stays cancelled: a re-import needs a new order number (``external_id``).

**What the platform checks** (the seed's store fulfillment via an external OMS):

* ``routing_strategy`` ``external``: no ATP check — the OMS routed it; the location must be known
  (else the order is cancelled: ``failed_fulfillment_node_mapping``).
* ``skip_soft_routing_on_injection`` false (the default): a shipping option by service level must
  be one the fulfillment configuration offers for the destination and, with a shipping adapter,
  one the carrier offers (asked **before** the transaction); else ``shipping_offer_update_error``.
  With it true, nothing of that is checked.
* In every case a reservation is attempted at the location (soft allocation): short stock is
  ``insufficient_stock``. Injected orders create no allocations.
* ``big_sales_order``: more items than the hard limit → the order is written cancelled and the
  answer is 400 ``maximum_allowed_number_of_items_exceeded``; more than the soft limit
  (cashwrap's setting) but within the hard limit → the order waits ``on_hold``.

A conflict (unknown location, short stock, no shipping option) cancels the order unless the
``cancel_on_conflict`` routing setting says otherwise for that reason — then the shipment's
items wait ``on_hold``. A ``prerouted`` shipment whose location lacks stock waits on hold, as
documented.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.config.schemas import FulfillmentConfiguration, OrderInjectionConfig
from cashwrap.config.service import kept
from cashwrap.core import clock
from cashwrap.core.cache import Recent
from cashwrap.core.errors import Conflict, DomainError, InvalidInput, NotFound
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database
from cashwrap.events import outbox
from cashwrap.fulfillment import service as fulfillment
from cashwrap.fulfillment.states import Kind
from cashwrap.injection import repository
from cashwrap.injection.schemas import InjectedOrderAddress, InjectedOrderRequest
from cashwrap.injection.service import rules
from cashwrap.injection.service.rules import CheckedOrder, ShipmentSpec
from cashwrap.locations import service as locations
from cashwrap.orders import service as orders
from cashwrap.orders.states import IN_STORE_HANDOVER, FulfilledBy, ItemStatus
from cashwrap.outbound.http import OutboundHttp
from cashwrap.outbound.shipping import (
    Address,
    Offers,
    Rejected,
    ShipmentRequest,
    ShippingProviderClient,
)

UNKNOWN_LOCATION = "failed_fulfillment_node_mapping"
INSUFFICIENT_STOCK = "insufficient_stock"
NO_SHIPPING_OPTION = "shipping_offer_update_error"
TOO_MANY_ITEMS = "maximum_allowed_number_of_items_exceeded"
SHIPPING_PROVIDER_DOWN = "shipping_provider_communication_error"

_FULFILLMENT_TYPES = {
    "traditional_carrier": "traditional",
    "same_day_delivery": "same_day_delivery",
    "in_store_pick_up": "in_store_pickup",
    "in_store_handover": "in_store_purchase",
}


class ShippingProviderUnavailable(DomainError):
    """500 ``shipping_provider_communication_error``: documented as transient; retry with the
    same payload (nothing was written)."""

    status = 500
    code = SHIPPING_PROVIDER_DOWN
    title = "Internal Server Error"


def fingerprint(raw: bytes) -> str:
    """SHA-256 of the body as canonical JSON (keys sorted): key order and spacing do not make
    a different payload. Called after the body passed its schema, which reads less strictly:
    a member it ignores may still hold what is not JSON (``NaN``)."""
    try:
        canonical = orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(
            f"the body is not strict JSON ({error.msg}): NaN, Infinity and integers beyond "
            "64 bits are not JSON values",
            code="invalid_json",
        ) from None
    return hashlib.sha256(canonical).hexdigest()


@dataclass
class _Plan:
    """What one shipment asks of the platform, decided from the payload and the configuration."""

    spec: ShipmentSpec
    done: bool
    """Already fulfilled (historical, ``is_fulfilled``, in-store handover): no request."""
    kind: Kind = Kind.SHIP
    shipping_type: str = "traditional_carrier"
    candidates: list[str] = field(default_factory=list)
    conflict: str | None = None
    conflict_message: str = ""
    ask_offers: bool = False


@dataclass
class _Context:
    injection: OrderInjectionConfig
    fulfillment: FulfillmentConfiguration | None
    plans: list[_Plan]
    cache: _Cache
    adapter: Any = None

    @property
    def needs_offers(self) -> bool:
        return any(plan.ask_offers for plan in self.plans)


@dataclass(frozen=True)
class _Outcome:
    body: bytes
    problem: DomainError | None = None


async def inject(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    request: InjectedOrderRequest,
    payload_fingerprint: str,
    *,
    soft_limit: int,
    config_max_age: float = 0.0,
) -> bytes:
    """Create the order once; the answer's JSON body (see the module).

    ``config_max_age``: the tenant's configuration and known locations are reused this many
    seconds (per process); a configuration change committed by this process applies to the
    next order, one made by another process within that delay.
    """
    checked = rules.check(request)
    order_id = new_id()
    item_ids = [new_id() for _ in checked.items]
    body = orjson.dumps(
        {
            "external_id": request.external_id,
            "id": order_id,
            "items": [
                {
                    "external_item_id": item.external_item_id,
                    "id": item_ids[item.position],
                    "product_id": item.product_id,
                }
                for item in checked.items
            ],
        }
    )
    write = _Write(tenant, checked, payload_fingerprint, order_id, item_ids, body, soft_limit)
    cache = _Cache(id(database), tenant, config_max_age)
    outcome: _Outcome | None
    try:
        async with database.transaction() as session:
            context = await _context(session, cache, checked)
            if not context.needs_offers:
                outcome = await write.run(session, context)
            else:
                earlier = await repository.get(session, tenant, request.external_id)
                outcome = _replay(earlier, payload_fingerprint) if earlier else None
        if outcome is None:
            await _ask_offers(http, context, checked)
            async with database.transaction() as session:
                fresh = await _context(session, cache, checked)
                for plan, asked in zip(fresh.plans, context.plans, strict=True):
                    if asked.conflict is not None and plan.conflict is None:
                        plan.conflict = asked.conflict
                        plan.conflict_message = asked.conflict_message
                outcome = await write.run(session, fresh)
    except (repository.Claimed, Conflict) as error:
        # Another request injected this external_id first (its transaction has committed):
        # its record says so, or its order's number does when that row was sent first.
        if isinstance(error, Conflict) and error.error_code != orders.DUPLICATE_ORDER_NUMBER:
            raise
        async with database.transaction() as session:
            earlier = await repository.get(session, tenant, request.external_id)
        if earlier is None:
            raise  # the number is an order of the store's
        outcome = _replay(earlier, payload_fingerprint)
    if outcome.problem is not None:
        raise outcome.problem
    return outcome.body


def _replay(earlier: dict[str, Any], payload_fingerprint: str) -> _Outcome:
    if earlier["fingerprint"] != payload_fingerprint:
        raise InvalidInput(
            "an order with this external_id was injected with different data; orders are never "
            "changed after creation (a re-import needs a new external_id)",
            code="same_order_injection_with_different_data",
            extra={"order_id": earlier["order_id"]},
        )
    if earlier["status"] == 200:
        return _Outcome(earlier["response"].encode())
    stored = orjson.loads(earlier["response"])
    return _Outcome(b"", InvalidInput(stored["message"], code=stored["error_code"]))


# --- reading what the order needs ---------------------------------------------------------------


def _destination(request: InjectedOrderRequest) -> InjectedOrderAddress | None:
    return request.shipping_address or request.billing_address


@dataclass(frozen=True)
class _Settings:
    injection: OrderInjectionConfig
    fulfillment: FulfillmentConfiguration | None


_STORES: Recent[tuple[int, str, str], str] = Recent()


@dataclass(frozen=True)
class _Cache:
    """What injection rereads for every order unless it is younger than ``max_age``:
    the tenant's settings, and the locations found to exist (never those found missing, so a
    location imported just now is known at once)."""

    database: int
    tenant: str
    max_age: float

    async def settings(self, session: AsyncSession) -> _Settings:
        """Kept as the checkout's are: forgotten when this process commits a configuration
        change (``config.service.kept``)."""

        async def read() -> _Settings:
            return _Settings(
                injection=await config.order_injection(session, self.tenant),
                fulfillment=await config.fulfillment_config(session, self.tenant),
            )

        return await kept.reused(session, ("injection", self.tenant), self.max_age, read)

    async def store_of(self, session: AsyncSession, node: str) -> str | None:
        """``""`` for a warehouse, the store id for a store, None for an unknown location."""
        key = (self.database, self.tenant, node)
        cached = _STORES.get(key, self.max_age)
        if cached is not None:
            return cached
        try:
            location = await locations.get_location(session, self.tenant, node)
        except NotFound:
            return None
        store = location.store_id or ""
        _STORES.put(key, store, self.max_age)
        return store


async def _context(session: AsyncSession, cache: _Cache, checked: CheckedOrder) -> _Context:
    request = checked.request
    settings = await cache.settings(session)
    injection, fulfillment = settings.injection, settings.fulfillment
    destination = _destination(request)
    plans = []
    adapter_needed = False
    for spec in checked.shipments:
        done = (
            spec.routing == rules.HISTORICAL
            or request.is_fulfilled
            or spec.service_level == IN_STORE_HANDOVER
        )
        plan = _Plan(spec=spec, done=done)
        plans.append(plan)
        if done:
            plan.shipping_type = spec.shipping_type or (
                "in_store_handover"
                if spec.service_level == IN_STORE_HANDOVER
                else "traditional_carrier"
            )
            continue
        rate = (
            fulfillment.provider_rate_for(spec.service_level, spec.node_id)
            if fulfillment is not None
            else None
        )
        plan.shipping_type = spec.shipping_type or (
            rate.shipping_type if rate else "traditional_carrier"
        )
        plan.kind = Kind.PICKUP if plan.shipping_type == "in_store_pick_up" else Kind.SHIP
        if spec.node_id is not None:
            plan.candidates = [spec.node_id]
        elif fulfillment is not None and destination is not None:
            nodes = fulfillment.nodes_for(
                spec.service_level, destination.country, destination.zip_code
            )
            plan.candidates = list(dict.fromkeys(node.fulfillment_node_id for node in nodes))
        if injection.skip_soft_routing_on_injection or spec.by_token:
            continue
        if not _offered(fulfillment, spec.service_level, plan.kind, destination):
            plan.conflict = NO_SHIPPING_OPTION
            plan.conflict_message = (
                f"service level {spec.service_level!r} is not offered for this destination by "
                "the fulfillment configuration"
            )
            continue
        if plan.kind == Kind.SHIP and destination is not None and plan.candidates:
            plan.ask_offers = True
            adapter_needed = True
    context = _Context(injection, fulfillment, plans, cache)
    if adapter_needed:
        context.adapter = await config.shipping_adapter(session, cache.tenant)
        if context.adapter is None:
            for plan in plans:
                plan.ask_offers = False
    return context


def _offered(
    fulfillment: FulfillmentConfiguration | None,
    level: str,
    kind: Kind,
    destination: InjectedOrderAddress | None,
) -> bool:
    if fulfillment is None or level not in fulfillment.service_levels:
        return False
    if kind == Kind.PICKUP or destination is None:
        return True
    return level in fulfillment.service_levels_for(destination.country, destination.zip_code)


async def _ask_offers(http: OutboundHttp, context: _Context, checked: CheckedOrder) -> None:
    """Ask the carrier for offers for each shipment that needs them (no transaction is open)."""
    destination = _destination(checked.request)
    assert destination is not None
    client = ShippingProviderClient.from_endpoint(http, context.adapter)
    consumer = Address(
        address_line_1=destination.address_line_1,
        country=destination.country,
        first_name=destination.first_name,
        last_name=destination.last_name,
        address_line_2=destination.address_line_2,
        city=destination.city,
        state=destination.state,
        zip_code=destination.zip_code,
        phone=destination.phone,
    )
    for plan in context.plans:
        if not plan.ask_offers:
            continue
        items = [checked.items[position] for position in plan.spec.items]
        shipment = ShipmentRequest(
            sender_address=Address(address_line_1=plan.candidates[0], country=destination.country),
            consumer_address=consumer,
            product_ids=[item.product_id for item in items],
            fulfillment_node_id=plan.candidates[0],
        )
        shipping_type: Any = (
            plan.shipping_type
            if plan.shipping_type != "in_store_pick_up"
            else "traditional_carrier"
        )
        outcome = await client.shipping_offers(
            shipment,
            service_level=plan.spec.service_level,
            shipping_type=shipping_type,
            currency=checked.request.currency,
        )
        if isinstance(outcome, Offers):
            if not outcome.offers:
                plan.conflict = NO_SHIPPING_OPTION
                plan.conflict_message = (
                    f"the shipping provider offers nothing at service level "
                    f"{plan.spec.service_level!r} for this destination"
                )
        elif isinstance(outcome, Rejected):
            plan.conflict = NO_SHIPPING_OPTION
            plan.conflict_message = f"the shipping provider refused: {outcome.message}"
        elif plan.spec.routing == rules.EXTERNAL:
            # Documented: with routing_strategy external, a failure to communicate with the
            # shipping provider cancels the order.
            plan.conflict = SHIPPING_PROVIDER_DOWN
            plan.conflict_message = f"the shipping provider could not be reached: {outcome.message}"
        else:
            raise ShippingProviderUnavailable(
                "Could not get shipping offers: the shipping provider could not be reached; "
                "retry with the same payload"
            )


# --- writing it ---------------------------------------------------------------------------------


@dataclass
class _Routed:
    node_id: str
    store_id: str | None
    reservation_id: str | None


@dataclass
class _Write:
    tenant: str
    checked: CheckedOrder
    fingerprint: str
    order_id: str
    item_ids: list[str]
    body: bytes
    soft_limit: int

    async def run(self, session: AsyncSession, context: _Context) -> _Outcome:
        request = self.checked.request
        count = len(self.checked.items)
        hard = context.injection.hard_limit_for_big_orders
        too_big = hard is not None and count > hard
        problem = None
        if too_big:
            problem = InvalidInput(
                f"the order has {count} items, more than the {hard} the big_sales_order "
                "configuration allows; it was cancelled: raise the limit and inject it again "
                "under a new order number",
                code=TOO_MANY_ITEMS,
            )
        # Read before the record is queued: a read would send it ahead of the stock rows' locks,
        # and orders for one external_id taking the two in different orders deadlocked.
        stores = await self._stores(session, context)
        await repository.claim(
            session,
            {
                "tenant": self.tenant,
                "external_id": request.external_id,
                "fingerprint": self.fingerprint,
                "order_id": self.order_id,
                "status": 400 if problem else 200,
                "response": (
                    orjson.dumps(
                        {"error_code": problem.error_code, "message": problem.message}
                    ).decode()
                    if problem
                    else self.body.decode()
                ),
                "created_at": clock.now(),
            },
        )
        hold = hard is not None and not too_big and count > self.soft_limit
        routed: dict[int, _Routed] = {}
        held: set[int] = set()
        cancel: tuple[str, str] | None = None
        if too_big:
            cancel = (TOO_MANY_ITEMS, problem.message if problem else "")
        elif hold:
            held = {plan.spec.index for plan in context.plans if not plan.done}
        else:
            cancel = await self._route(session, context, stores, routed, held)
        store_node = await self._store_node(session, context)
        # The order's events (order.created, fulfillment_request.assigned, order.cancelled)
        # are written together: one INSERT per table.
        async with outbox.batched(session):
            await orders.place_order(session, self._draft(context, routed, held, store_node))
            if cancel is not None:
                for route in routed.values():
                    if route.reservation_id is not None:
                        await locations.unreserve(session, self.tenant, route.reservation_id)
                reason_code, reason = cancel
                await orders.cancel_order(
                    session, self.tenant, self.order_id, reason=reason, reason_code=reason_code
                )
            elif routed:
                await fulfillment.assign(session, self.tenant, self._requests(context, routed))
        return _Outcome(self.body, problem)

    async def _stores(self, session: AsyncSession, context: _Context) -> dict[str, str | None]:
        """The store of each location the shipments may go to (None: unknown)."""
        stores: dict[str, str | None] = {}
        for plan in context.plans:
            if not plan.done and plan.conflict is None:
                for node in plan.candidates:
                    if node not in stores:
                        stores[node] = await context.cache.store_of(session, node)
        return stores

    async def _route(
        self,
        session: AsyncSession,
        context: _Context,
        stores: dict[str, str | None],
        routed: dict[int, _Routed],
        held: set[int],
    ) -> tuple[str, str] | None:
        """Pick a location and reserve there, shipment by shipment; the conflict that cancels
        the order, if any (others put their shipment on hold)."""
        conflicts: list[tuple[_Plan, str, str]] = []
        for plan in context.plans:
            if plan.done:
                continue
            if plan.conflict is not None:
                conflicts.append((plan, plan.conflict, plan.conflict_message))
                continue
            known = [node for node in plan.candidates if stores[node] is not None]
            if not plan.candidates:
                conflicts.append(
                    (
                        plan,
                        NO_SHIPPING_OPTION,
                        f"no fulfillment location is routed for service level "
                        f"{plan.spec.service_level!r} and this destination",
                    )
                )
                continue
            if not known:
                conflicts.append(
                    (
                        plan,
                        UNKNOWN_LOCATION,
                        f"fulfillment location {plan.candidates[0]!r} is not known to the platform",
                    )
                )
                continue
            route = await self._reserve(session, plan, known, stores)
            if route is not None:
                routed[plan.spec.index] = route
            elif plan.spec.routing == rules.PREROUTED:
                held.add(plan.spec.index)
            else:
                conflicts.append(
                    (
                        plan,
                        INSUFFICIENT_STOCK,
                        f"not enough stock at {', '.join(known)} for the shipment's items",
                    )
                )
        if not conflicts:
            return None
        policy = await config.routing_switch(session, self.tenant, "cancel_on_conflict")
        default = bool(policy.get("default", True))
        overwrite = set(policy.get("reasons_to_overwrite_default") or [])
        for plan, reason_code, message in conflicts:
            policy_reason = (
                NO_SHIPPING_OPTION if reason_code == SHIPPING_PROVIDER_DOWN else reason_code
            )
            if default != (policy_reason in overwrite):
                return reason_code, message
            held.add(plan.spec.index)
        return None

    async def _reserve(
        self,
        session: AsyncSession,
        plan: _Plan,
        nodes: Sequence[str],
        stores: dict[str, str | None],
    ) -> _Routed | None:
        units = [
            locations.ReservedUnit(
                product_id=self.checked.items[position].product_id,
                order_item_id=self.item_ids[position],
            )
            for position in plan.spec.items
        ]
        for node in nodes:
            try:
                reservation_id = await locations.hold_for_new_order(
                    session,
                    self.tenant,
                    order_id=self.order_id,
                    location_id=node,
                    items=units,
                )
            except Conflict as error:
                if error.error_code != INSUFFICIENT_STOCK:
                    raise
                continue
            return _Routed(node, stores.get(node) or None, reservation_id)
        return None

    async def _store_node(self, session: AsyncSession, context: _Context) -> str | None:
        """The fulfillment node of ``store_id`` when items were handed over there."""
        store_id = self.checked.request.store_id
        if store_id is None or not any(
            plan.done and plan.spec.service_level == IN_STORE_HANDOVER for plan in context.plans
        ):
            return None
        try:
            return (await locations.get_store(session, self.tenant, store_id)).fulfillment_node_id
        except NotFound:
            return None

    def _draft(
        self,
        context: _Context,
        routed: dict[int, _Routed],
        held: set[int],
        store_node: str | None,
    ) -> orders.OrderDraft:
        request = self.checked.request
        items = []
        types = set()
        for plan in context.plans:
            spec = plan.spec
            types.add(_FULFILLMENT_TYPES.get(plan.shipping_type, "traditional"))
            route = routed.get(spec.index)
            if plan.done:
                status = ItemStatus.COMPLETE
                fulfilled_by = (
                    FulfilledBy.CUSTOMER
                    if spec.service_level == IN_STORE_HANDOVER
                    else FulfilledBy.EXTERNAL_OMS
                )
                node = spec.node_id or (
                    store_node if spec.service_level == IN_STORE_HANDOVER else None
                )
            else:
                status = ItemStatus.ON_HOLD if spec.index in held else ItemStatus.IN_FULFILLMENT
                fulfilled_by = FulfilledBy.STORE
                node = route.node_id if route else (plan.candidates[0] if plan.candidates else None)
            for position in spec.items:
                item = self.checked.items[position]
                items.append(
                    orders.ItemDraft(
                        id=self.item_ids[position],
                        product_id=item.product_id,
                        shipping_service_level=spec.service_level,
                        fulfilled_by=fulfilled_by,
                        list_price=item.list_price,
                        price=item.price,
                        tax=item.tax,
                        discount=item.discount,
                        order_discount=item.order_discount,
                        external_item_id=item.external_item_id,
                        fulfillment_location_id=node,
                        shipment_index=spec.index,
                        status=status,
                        pricebook=item.pricebook,
                        tax_lines=item.tax_lines,
                        extended_attributes=item.extended_attributes,
                        details=item.details,
                        addon_parent=item.addon_parent,
                    )
                )
        return orders.OrderDraft(
            id=self.order_id,
            tenant=self.tenant,
            external_id=request.external_id,
            source="injection",
            origin="external",
            channel_type=request.channel_type,
            channel_name=request.channel_name,
            fulfillment_type=types.pop() if len(types) == 1 else "multiple",
            currency=request.currency,
            items=items,
            price_method=request.price_method,
            payment_status=self.checked.payment_status,
            shipping_total=self.checked.shipping_total,
            shipping_tax=self.checked.shipping_tax,
            shop=request.shop,
            shop_locale=request.shop_locale,
            store_id=request.store_id,
            associate_id=request.associate_id,
            customer_id=request.external_customer_id,
            customer_email=request.customer_email,
            customer_name=request.customer_name,
            customer_language=request.customer_language,
            billing_address=_address(request.billing_address),
            shipping_address=_address(request.shipping_address),
            extended_attributes=[a.model_dump() for a in request.extended_attributes],
            notification_blacklist=request.notification_blacklist,
            is_historical=request.is_historical,
            is_preconfirmed=request.is_preconfirmed,
            is_offline=request.is_offline,
            placed_at=request.placed_at,
            payments=self.checked.payments,
        )

    def _requests(
        self, context: _Context, routed: dict[int, _Routed]
    ) -> list[fulfillment.RequestDraft]:
        request = self.checked.request
        drafts = []
        for plan in context.plans:
            route = routed.get(plan.spec.index)
            if route is None:
                continue
            drafts.append(
                fulfillment.RequestDraft(
                    order_id=self.order_id,
                    external_order_id=request.external_id,
                    fulfillment_node_id=route.node_id,
                    store_id=route.store_id,
                    service_level=plan.spec.service_level,
                    kind=plan.kind,
                    shipping_type=plan.shipping_type,
                    routing_strategy=plan.spec.routing,
                    shipment_index=plan.spec.index,
                    reservation_id=route.reservation_id,
                    items=[
                        fulfillment.RequestItem(
                            self.item_ids[position], self.checked.items[position].product_id
                        )
                        for position in plan.spec.items
                    ],
                )
            )
        return drafts


def _address(address: InjectedOrderAddress | None) -> dict[str, Any] | None:
    return address.model_dump(exclude_none=True) if address is not None else None
