"""The sandbox external OMS: the other side of the platform's contract, over HTTP.

Contract operations (each with the sandbox faults and call log of :mod:`cashwrap.sandbox.common`):

=========================== ===================== ===========================================
``POST /availabilities``    ``availability``      the ATP webhook (b.1), from ``oms_stock``
``GET /orders``             ``purchase_history``  a customer's orders (b.2): newest first, ≤ 100
``GET /orders/{id}``        ``order_details``     one order (b.2); ``payment_history`` left out
                                                  for other methods than gift_card, credit_card
                                                  and cash
``POST /events``            ``events``            the event-stream callback (d), received with
                                                  the SDK's :class:`~cashwrap.sdk.EventReceiver`
=========================== ===================== ===========================================

Every call needs ``Authorization: Bearer <api key>`` (the sandbox's key; register the
event-stream integration and the webhooks with it). Deliveries must also be signed when the
integration's signing secret was given (``PUT /_sandbox/platform``).

The OMS's behaviour on events is in :mod:`.handlers`, its routing and the injection of store
fulfillments in :mod:`.routing`; the admin API (stock, platform connection, orders, events
received, injections) below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.sandbox.common.app import (
    ADMIN_PREFIX,
    DEFAULT_API_KEY,
    Answer,
    Call,
    CurrentSandbox,
    Operation,
    Sandbox,
    SandboxSpec,
    SettingSpec,
    create_sandbox_app,
    ok,
    require_admin,
)
from cashwrap.sandbox.common.problems import SandboxProblem
from cashwrap.sandbox.oms import handlers
from cashwrap.sandbox.oms.models import (
    Fulfillment,
    HeldEvent,
    OmsBase,
    OmsOrder,
    PlatformConnection,
    ReceivedEvent,
    Stock,
)
from cashwrap.sandbox.oms.orders import by_id, order_status, stamp, store_copy
from cashwrap.sandbox.oms.routing import Injector
from cashwrap.sandbox.oms.schemas import (
    GenerateOrders,
    PlatformSettings,
    SeedItem,
    SeedOrder,
    SeedOrders,
    SeedPayment,
    StockUpdate,
    fulfillment_view,
    order_view,
)
from cashwrap.sdk import events as sdk_events
from cashwrap.sdk.events import Envelope, EventReceiver, Receipt, ReceiverError, SqlEventStore
from cashwrap.sdk.webhooks import (
    AvailabilityRequest,
    OrderDetail,
    OrderSummary,
    availability_answer,
    order_details_answer,
    purchase_history_answer,
)

SPEC = SandboxSpec(
    name="oms",
    title="external OMS",
    operations=(
        Operation("availability", "ATP of products at locations (availability webhook)"),
        Operation("purchase_history", "a customer's orders, newest first (external order webhook)"),
        Operation(
            "order_details",
            "one order (external order webhook)",
            declines=("order_not_found",),
            decline_status=404,
        ),
        Operation("events", "the event stream's callback"),
    ),
    settings=(
        SettingSpec("dc_locations", list[str], ["DC01"], "the OMS's distribution centres"),
        SettingSpec(
            "routing",
            Literal["auto", "dc", "store"],
            "auto",
            "auto: a DC holding every unit ships, else a store fulfils; dc or store: only that",
        ),
        SettingSpec("shop", str, "storefront-catalog-en", "shop of injected orders"),
        SettingSpec("shop_locale", str, "en-US", "shop locale of injected orders"),
        SettingSpec("channel_name", str, "cashwrap-sandbox-oms", "channel of injected orders"),
        SettingSpec(
            "event_duplicates",
            bool,
            False,
            "hand every delivery to the receiver twice (the second must be a duplicate)",
        ),
        SettingSpec(
            "event_reorder_window",
            int,
            0,
            "hold deliveries until this many arrived, then handle them newest first (0: off)",
        ),
        SettingSpec(
            "answer_unrequested_locations",
            bool,
            False,
            "ATP answers also name the OMS's other locations holding the products",
        ),
        SettingSpec(
            "history_limit",
            int,
            100,
            "orders per purchase history (the contract's maximum is 100; more shows whether "
            "the platform cuts)",
        ),
        SettingSpec(
            "history_newest_first",
            bool,
            True,
            "purchase history newest first, as the contract asks (false: oldest first)",
        ),
    ),
    metadata=OmsBase.metadata,
)


class OmsSandbox(Sandbox):
    """The sandbox with the receiver's tables and the injector running beside the app."""

    def __init__(self, *, database_url: str, api_key: str) -> None:
        super().__init__(SPEC, database_url=database_url, api_key=api_key)
        self.store = SqlEventStore(transaction=self.transaction)
        self.receiver = EventReceiver(store=self.store)
        self.injector = Injector(self)
        handlers.register(self.receiver, self, self.injector.wake.set)

    @property
    def metadatas(self) -> list[Any]:
        return [*super().metadatas, sdk_events.metadata]

    async def start(self) -> None:
        await super().start()
        await self.injector.start()

    async def stop(self) -> None:
        await self.injector.stop()
        await super().stop()

    def receiver_for(self, signing_secret: str | None) -> EventReceiver:
        """The receiver checking this delivery's signature (the sandbox key was checked)."""
        return self.receiver.using(signing_secret=signing_secret)


def _oms(sandbox: Sandbox) -> OmsSandbox:
    assert isinstance(sandbox, OmsSandbox)
    return sandbox


router = APIRouter(tags=["external OMS"])


# --- the contract --------------------------------------------------------------------------


@router.post("/availabilities", summary="ATP webhook (as documented by NewStore)")
async def availabilities(request: Request, sandbox: CurrentSandbox) -> Response:
    return await sandbox.serve(request, "availability", _availability)


async def _availability(call: Call) -> Answer:
    body = call.parse(AvailabilityRequest)
    products = [product.product_id for product in body.products]
    rows = (await call.session.scalars(select(Stock).where(Stock.product_id.in_(products)))).all()
    units = {(row.product_id, row.location): row.atp for row in rows}
    answer = availability_answer(body, lambda product, location: units.get((product, location), 0))
    entries = answer.model_dump(mode="json")["availabilities"]
    if await call.setting("answer_unrequested_locations"):
        asked = set(body.fulfillment_locations)
        entries += [
            {
                "product_id": row.product_id,
                "external_identifier": row.product_id,
                "fulfillment_location": row.location,
                "atp": row.atp,
            }
            for row in rows
            if row.location not in asked and row.atp > 0
        ]
    return ok({"availabilities": entries})


@router.get("/orders", summary="Purchase history of a customer (as documented by NewStore)")
async def purchase_history(request: Request, sandbox: CurrentSandbox) -> Response:
    return await sandbox.serve(request, "purchase_history", _purchase_history)


async def _purchase_history(call: Call) -> Answer:
    email = call.request.query_params.get("consumer_email")
    token = call.request.query_params.get("consumer_token")
    if not email and not token:
        raise SandboxProblem(400, "invalid_request", "consumer_email or consumer_token is required")
    conditions = []
    if email:
        conditions.append(func.lower(OmsOrder.customer_email) == email.lower())
    if token:
        conditions.append(OmsOrder.customer_token == token)
    limit = max(0, int(await call.setting("history_limit")))
    newest_first = bool(await call.setting("history_newest_first"))
    order_by = OmsOrder.placed_at.desc() if newest_first else OmsOrder.placed_at.asc()
    rows = (
        await call.session.scalars(
            select(OmsOrder).where(or_(*conditions)).order_by(order_by, OmsOrder.id).limit(limit)
        )
    ).all()
    orders = [OrderSummary.model_validate(row.document) for row in rows]
    if newest_first and limit <= 100:
        return ok(purchase_history_answer(orders))
    # Misbehaving on purpose (a setting): what the contract forbids, to see the platform cope.
    summaries = [purchase_history_answer([order])["orders"][0] for order in orders]
    return ok({"orders": summaries})


@router.get("/orders/{order_id}", summary="Order details (as documented by NewStore)")
async def order_details(order_id: str, request: Request, sandbox: CurrentSandbox) -> Response:
    async def work(call: Call) -> Answer:
        if call.decline is not None:
            raise call.declined()
        order = await by_id(call.session, order_id)
        if order is not None:
            return ok(order_details_answer(OrderDetail.model_validate(order.document)))
        # The number of a store fulfillment the OMS injected (printed on its labels): the
        # OMS's order, limited to the items that store fulfils, under that number.
        copy = await store_copy(call.session, platform_order_id=None, external_id=order_id)
        order = await call.session.get(OmsOrder, copy.order_id) if copy is not None else None
        if copy is None or order is None:
            raise SandboxProblem(404, "order_not_found", f"no order {order_id}")
        document = dict(order.document, id=order_id)
        document["items"] = [item for item in document["items"] if item["id"] in copy.item_ids]
        return ok(order_details_answer(OrderDetail.model_validate(document)))

    return await sandbox.serve(request, "order_details", work)


@router.post("/events", summary="Event-stream callback (as documented by NewStore)")
async def events(request: Request, sandbox: CurrentSandbox) -> Response:
    oms = _oms(sandbox)
    try:
        return await sandbox.serve(request, "events", _events)
    finally:
        oms.injector.wake.set()


async def _events(call: Call) -> Answer:
    oms = _oms(call.sandbox)
    raw = await call.request.body()
    headers = {key.lower(): value for key, value in call.request.headers.items()}
    platform = await call.session.get(PlatformConnection, 1)
    receiver = oms.receiver_for(platform.signing_secret if platform else None)
    try:
        receiver.verify(headers, raw)
        envelope = receiver.parse(headers, raw)
    except ReceiverError as error:
        raise SandboxProblem(error.status, error.error_code, error.message, store=False) from None
    notes: dict[str, str] = {}
    token = handlers.NOTES.set(notes)
    try:
        window = int(await call.setting("event_reorder_window"))
        if window > 1:
            sequence = await _log(call.session, envelope, "held", "held back (reorder fault)")
            call.session.add(HeldEvent(log_sequence=sequence, envelope=envelope.raw))
            await call.session.flush()
            held = await call.session.scalar(select(func.count()).select_from(HeldEvent))
            if (held or 0) >= window:
                await flush_held(call.session, receiver, notes)
            return ok({"outcome": "held"})
        receipt = await receiver.process(envelope, call.session)
        await _record(call.session, receipt, notes)
        if await call.setting("event_duplicates"):
            await _record(call.session, await receiver.process(envelope, call.session), notes)
    except SandboxProblem:
        raise
    except Exception as error:  # noqa: BLE001 - any handler failure is answered the same way
        # The handler failed: nothing of this delivery is kept, and the platform retries it.
        raise SandboxProblem(
            500, "handler_failed", f"{type(error).__name__}: {error}", store=False
        ) from None
    finally:
        handlers.NOTES.reset(token)
    return ok(receipt.body())


async def _log(session: AsyncSession, envelope: Envelope, outcome: str, note: str | None) -> int:
    payload = envelope.payload
    row = ReceivedEvent(
        name=envelope.name,
        idempotency_key=envelope.idempotency_key,
        entity_id=str(payload.get("order_id") or payload.get("id") or "") or None,
        logical_timestamp=envelope.logical_timestamp,
        published_at=envelope.published_at,
        payload=payload,
        outcome=outcome,
        note=note,
        received_at=clock.now(),
        handled_at=clock.now() if outcome in ("handled", "ignored") else None,
    )
    session.add(row)
    await session.flush()
    return row.sequence


async def _record(session: AsyncSession, receipt: Receipt, notes: dict[str, str]) -> None:
    envelope = receipt.envelope
    note = notes.get(envelope.idempotency_key)
    if receipt.outcome == "deferred":
        note = f"waits for {receipt.waits_for} (not known yet)"
    await _log(session, envelope, receipt.outcome, note)
    await _settle_released(session, receipt, notes)


async def _settle_released(session: AsyncSession, receipt: Receipt, notes: dict[str, str]) -> None:
    for waiting, outcome in receipt.released:
        await session.execute(
            update(ReceivedEvent)
            .where(
                ReceivedEvent.name == waiting.name,
                ReceivedEvent.idempotency_key == waiting.idempotency_key,
                ReceivedEvent.outcome == "deferred",
            )
            .values(
                outcome=outcome,
                note=(notes.get(waiting.idempotency_key) or "")
                + f" (deferred until {receipt.envelope.name} arrived)",
                handled_at=clock.now(),
            )
        )


async def flush_held(session: AsyncSession, receiver: EventReceiver, notes: dict[str, str]) -> int:
    """Handle the held deliveries newest first; how many."""
    held = (await session.scalars(select(HeldEvent).order_by(HeldEvent.sequence.desc()))).all()
    for row in held:
        envelope = sdk_events.envelope_from(row.envelope)
        receipt = await receiver.process(envelope, session)
        note = notes.get(envelope.idempotency_key)
        if receipt.outcome == "deferred":
            note = f"waits for {receipt.waits_for} (not known yet)"
        await session.execute(
            update(ReceivedEvent)
            .where(ReceivedEvent.sequence == row.log_sequence)
            .values(
                outcome=receipt.outcome,
                note=f"{note or ''} (held, handled newest first)".strip(),
                handled_at=clock.now(),
            )
        )
        await _settle_released(session, receipt, notes)
        await session.delete(row)
    return len(held)


# --- the admin API -------------------------------------------------------------------------

admin = APIRouter(
    prefix=ADMIN_PREFIX, tags=["sandbox admin"], dependencies=[Depends(require_admin)]
)


@admin.get("/stock", summary="The OMS's stock (its ATP)")
async def get_stock(
    sandbox: CurrentSandbox, product_id: str | None = None, location: str | None = None
) -> dict[str, Any]:
    query = select(Stock).order_by(Stock.product_id, Stock.location)
    if product_id:
        query = query.where(Stock.product_id == product_id)
    if location:
        query = query.where(Stock.location == location)
    async with sandbox.transaction() as session:
        rows = (await session.scalars(query)).all()
        return {
            "stock": [
                {"fulfillment_location": r.location, "product_id": r.product_id, "atp": r.atp}
                for r in rows
            ]
        }


@admin.put("/stock", summary="Set units per location and product (absolute)")
async def put_stock(body: StockUpdate, sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        if body.replace:
            await session.execute(delete(Stock))
        for entry in body.stock:
            row = await session.get(Stock, (entry.fulfillment_location, entry.product_id))
            if row is None:
                session.add(
                    Stock(
                        location=entry.fulfillment_location,
                        product_id=entry.product_id,
                        atp=entry.atp,
                    )
                )
            else:
                row.atp = entry.atp
    return {"updated": len(body.stock)}


@admin.delete("/stock/{product_id}", status_code=204, summary="Forget a product's stock")
async def delete_stock(product_id: str, sandbox: CurrentSandbox) -> Response:
    async with sandbox.transaction() as session:
        await session.execute(delete(Stock).where(Stock.product_id == product_id))
    return Response(status_code=204)


def _platform_view(row: PlatformConnection | None) -> dict[str, Any]:
    if row is None:
        raise SandboxProblem(404, "not_found", "no platform connection: PUT /_sandbox/platform")
    return {
        "url": row.url,
        "tenant": row.tenant,
        "client_id": row.client_id,
        "client_secret": "REDACTED",
        "token_url": row.token_url,
        "signing_secret": "REDACTED" if row.signing_secret else None,
    }


@admin.get("/platform", summary="Where the platform is (secrets redacted)")
async def get_platform(sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        return _platform_view(await session.get(PlatformConnection, 1))


@admin.put("/platform", summary="Connect the OMS to a platform tenant")
async def put_platform(body: PlatformSettings, sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        row = await session.get(PlatformConnection, 1)
        if row is None:
            row = PlatformConnection(id=1)
            session.add(row)
        row.url, row.tenant = body.url, body.tenant
        row.client_id, row.client_secret = body.client_id, body.client_secret
        row.token_url, row.signing_secret = body.token_url, body.signing_secret
        view = _platform_view(row)
    _oms(sandbox).injector.wake.set()
    return view


@admin.delete("/platform", status_code=204, summary="Forget the platform connection")
async def delete_platform(sandbox: CurrentSandbox) -> Response:
    async with sandbox.transaction() as session:
        await session.execute(delete(PlatformConnection))
    return Response(status_code=204)


async def _fulfillments(session: AsyncSession, order_ids: list[str]) -> dict[str, list[Any]]:
    rows = (
        await session.scalars(
            select(Fulfillment)
            .where(Fulfillment.order_id.in_(order_ids))
            .order_by(Fulfillment.created_at)
        )
    ).all()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


@admin.get("/orders", summary="The orders the OMS knows, newest first")
async def list_orders(
    sandbox: CurrentSandbox,
    customer_email: str | None = None,
    origin: Literal["newstore", "external"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    query = select(OmsOrder).order_by(OmsOrder.placed_at.desc(), OmsOrder.id).limit(limit)
    if customer_email:
        query = query.where(func.lower(OmsOrder.customer_email) == customer_email.lower())
    if origin:
        query = query.where(OmsOrder.origin == origin)
    async with sandbox.transaction() as session:
        rows = (await session.scalars(query)).all()
        grouped = await _fulfillments(session, [row.id for row in rows])
        return {"orders": [order_view(row, grouped.get(row.id, [])) for row in rows]}


@admin.get("/orders/{order_id}", summary="One order, with its routing and payment state")
async def get_order(order_id: str, sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        order = await by_id(session, order_id)
        if order is None:
            raise SandboxProblem(404, "order_not_found", f"no order {order_id}")
        grouped = await _fulfillments(session, [order.id])
        return order_view(order, grouped.get(order.id, []))


def _seed_document(order: SeedOrder) -> dict[str, Any]:
    items = [
        {
            "id": item.id,
            "origin_id": item.origin_id or item.id,
            "product_id": item.product_id,
            "status": item.status,
            "price": {
                "net": round(item.price - item.tax, 2),
                "tax": item.tax,
                "gross": item.price,
                "discount": 0,
            },
            "product_attributes": {"name": item.name},
            "external_identifier": {"sku": item.product_id},
        }
        for item in order.items
    ]
    gross = round(sum(item.price for item in order.items), 2)
    tax = round(sum(item.tax for item in order.items), 2)
    document = {
        "id": order.id,
        "placed_at": stamp(order.placed_at),
        "channel_type": order.channel_type,
        "origin": order.origin,
        "origin_id": order.origin_id or order.id,
        "status": order_status(items),
        "currency": order.currency,
        "fulfillment_type": order.fulfillment_type,
        "items": items,
        "customer": {"name": order.customer_name, "email": order.customer_email},
        "totals": {
            "net": round(gross - tax, 2),
            "tax": tax,
            "gross": gross,
            "discount": 0,
            "shipping": 0,
            "total": gross,
        },
        "payment_history": [
            {
                "category": p.category,
                "method": p.method,
                "amount": p.amount,
                "currency": order.currency,
                **({"payment_information": p.payment_information} if p.payment_information else {}),
            }
            for p in order.payments
        ],
        "store_id": order.store_id,
    }
    OrderDetail.model_validate(document)
    return document


async def _seed(session: AsyncSession, orders: list[SeedOrder]) -> None:
    now = clock.now()
    ids = [order.id for order in orders]
    if len(set(ids)) != len(ids):
        raise SandboxProblem(400, "invalid_request", "orders: ids must be distinct")
    taken = (await session.scalars(select(OmsOrder.id).where(OmsOrder.id.in_(ids)))).all()
    if taken:
        raise SandboxProblem(409, "order_exists", f"orders exist already: {', '.join(taken)}")
    for order in orders:
        document = _seed_document(order)
        session.add(
            OmsOrder(
                id=order.id,
                origin=order.origin,
                origin_id=document["origin_id"],
                customer_email=order.customer_email.lower() if order.customer_email else None,
                customer_token=order.customer_token,
                placed_at=order.placed_at,
                status=document["status"],
                paid=bool(order.payments),
                last_logical_timestamp=0,
                document=document,
                created_at=now,
                updated_at=now,
            )
        )


@admin.post("/orders", status_code=201, summary="Add orders placed in the OMS itself")
async def seed_orders(body: SeedOrders, sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        await _seed(session, body.orders)
    return {"created": [order.id for order in body.orders]}


@admin.post(
    "/orders/_generate", status_code=201, summary="Add N orders of one customer (one a day)"
)
async def generate_orders(body: GenerateOrders, sandbox: CurrentSandbox) -> dict[str, Any]:
    now = clock.now()
    orders = [
        SeedOrder(
            id=f"{body.prefix}{index:06d}",
            customer_email=body.customer_email,
            customer_name="Generated Customer",
            placed_at=now - timedelta(days=index),
            items=[
                SeedItem(
                    id=f"{body.prefix}{index:06d}-1",
                    product_id=body.product_id,
                    name=f"Product {body.product_id}",
                    price=88.0,
                    tax=8.0,
                )
            ],
            payments=[SeedPayment(method=body.payment_method, amount=88.0)],
        )
        for index in range(1, body.count + 1)
    ]
    async with sandbox.transaction() as session:
        await _seed(session, orders)
    return {"created": [order.id for order in orders]}


@admin.get("/events", summary="Event deliveries received, oldest first")
async def list_events(
    sandbox: CurrentSandbox,
    name: str | None = None,
    entity_id: str | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> dict[str, Any]:
    query = select(ReceivedEvent).where(ReceivedEvent.sequence > after)
    if name:
        query = query.where(ReceivedEvent.name == name)
    if entity_id:
        query = query.where(ReceivedEvent.entity_id == entity_id)
    query = query.order_by(ReceivedEvent.sequence).limit(limit)
    async with sandbox.transaction() as session:
        rows = (await session.scalars(query)).all()
        return {
            "events": [
                {
                    "sequence": row.sequence,
                    "name": row.name,
                    "idempotency_key": row.idempotency_key,
                    "entity_id": row.entity_id,
                    "logical_timestamp": row.logical_timestamp,
                    "published_at": row.published_at,
                    "outcome": row.outcome,
                    "note": row.note,
                    "received_at": stamp(row.received_at),
                    "handled_at": stamp(row.handled_at) if row.handled_at else None,
                    "payload": row.payload,
                }
                for row in rows
            ]
        }


@admin.get("/events/deferred", summary="Events waiting for another one")
async def deferred_events(sandbox: CurrentSandbox) -> dict[str, Any]:
    waiting = await _oms(sandbox).receiver.deferred()
    return {
        "events": [
            {
                "waits_for": waits_for,
                "name": envelope.name,
                "idempotency_key": envelope.idempotency_key,
            }
            for waits_for, envelope in waiting
        ]
    }


@admin.post("/events/_flush", summary="Handle the held deliveries now (newest first)")
async def flush_events(sandbox: CurrentSandbox) -> dict[str, Any]:
    oms = _oms(sandbox)
    notes: dict[str, str] = {}
    token = handlers.NOTES.set(notes)
    try:
        async with sandbox.transaction() as session:
            platform = await session.get(PlatformConnection, 1)
            receiver = oms.receiver_for(platform.signing_secret if platform else None)
            flushed = await flush_held(session, receiver, notes)
    finally:
        handlers.NOTES.reset(token)
    oms.injector.wake.set()
    return {"handled": flushed}


@admin.get("/injections", summary="Store fulfillments and DC shipments, newest first")
async def list_injections(
    sandbox: CurrentSandbox,
    status: str | None = None,
    order_id: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    query = select(Fulfillment).order_by(Fulfillment.created_at.desc()).limit(limit)
    if status:
        query = query.where(Fulfillment.status == status)
    if order_id:
        query = query.where(Fulfillment.order_id == order_id)
    if kind:
        query = query.where(Fulfillment.kind == kind)
    async with sandbox.transaction() as session:
        rows = (await session.scalars(query)).all()
        return {"injections": [fulfillment_view(row) for row in rows]}


def create_app(*, database_url: str, api_key: str = DEFAULT_API_KEY) -> FastAPI:
    """The sandbox OMS as an ASGI app (its tables are created at start-up)."""
    return create_sandbox_app(
        OmsSandbox(database_url=database_url, api_key=api_key), [router, admin]
    )
