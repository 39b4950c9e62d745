"""Receiving the event stream: verify, de-duplicate, put in order, hand to typed handlers.

The platform POSTs one event per request, **at least once** and in **no particular order**
(CONTRACT d; ``docs/event-stream.md``). :class:`EventReceiver` turns that into "each event
reaches its handler once, after the events it needs":

1. **Verify** — ``Authorization: Bearer <api_key>`` (when the integration was registered with
   one) and the Standard Webhooks signature made with the integration's signing secret
   (:mod:`.signatures`). A failure answers ``401``; the platform keeps the event as rejected.
2. **Parse** — the envelope (``tenant``, ``name``, ``published_at``, ``payload``,
   ``idempotency_key``) and the payload, typed with the platform's own payload models
   (:mod:`cashwrap.events.catalog`); fields a newer platform adds are ignored. A body that is not
   an event answers ``400``, a payload that does not fit its model ``422`` (not retried).
3. **De-duplicate** on ``name`` + ``idempotency_key`` in a durable store
   (:class:`SqlEventStore`): a key already handled answers ``200`` ``duplicate`` and the handler
   is not called. The key is written in the **same transaction** as the handler's own writes
   when the handler uses ``event.session``: the effect and the "seen" mark commit together, so
   a crash can neither lose the event nor apply it twice. Two concurrent deliveries of one
   event: the second waits for the first's transaction, then is a duplicate.
4. **Order** — a handler that needs another event first (``order.cancelled`` or
   ``payment_account.amount_captured`` arriving before ``order.created``) raises
   :class:`Deferred` naming what it waits for (usually the order id). The receiver keeps the
   event (acknowledged, ``deferred``) and hands it over again right after an event about that
   key is handled — in the same transaction — so the handler sees the events in a usable
   order whatever order they came in. An event "is about" the values of its payload's ``id``,
   ``order_id``, ``external_id`` and ``external_order_id``.
5. **Answer** — ``200`` with ``{"outcome": "handled" | "duplicate" | "deferred" | "ignored"}``
   (``ignored``: no handler for that name); ``500`` when the handler raised, so the platform
   retries later (nothing of the failed attempt was kept).

Use it as an ASGI app (mount it at your callback URL), or call :meth:`EventReceiver.receive`
from your own route.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    delete,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.types import Receive, Scope, Send

from cashwrap.events.catalog import EventPayload, payload_model
from cashwrap.sdk import signatures
from cashwrap.sdk.asgi import read_request, send_json, serve_lifespan

P = TypeVar("P", bound=EventPayload)
P_co = TypeVar("P_co", bound=EventPayload, covariant=True)
Outcome = str  # handled | duplicate | deferred | ignored
HANDLED, DUPLICATE, DEFERRED, IGNORED = "handled", "duplicate", "deferred", "ignored"
ENTITY_KEYS = ("id", "order_id", "external_id", "external_order_id")


class Deferred(Exception):
    """Raised by a handler: "hand me this event again once an event about ``waits_for`` has
    been handled" (e.g. the order id, when the order is not known yet)."""

    def __init__(self, waits_for: str, reason: str = "") -> None:
        super().__init__(reason or f"waits for {waits_for}")
        self.waits_for = waits_for
        self.reason = reason


class ReceiverError(Exception):
    """A delivery refused before it reached a handler: answered with ``status``."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class Envelope:
    """One delivery's body: the event as the platform sent it."""

    tenant: str
    name: str
    idempotency_key: str
    published_at: str | None
    payload: dict[str, Any]
    raw: dict[str, Any]

    @property
    def logical_timestamp(self) -> int | None:
        value = self.payload.get("logical_timestamp")
        return value if isinstance(value, int) else None

    def entity_keys(self) -> set[str]:
        return {str(self.payload[key]) for key in ENTITY_KEYS if self.payload.get(key)}


@dataclass(frozen=True)
class Event(Generic[P_co]):
    """What a handler receives: the envelope, the typed payload and the store's session (the
    transaction the de-duplication mark is written in; None with :class:`MemoryEventStore`)."""

    envelope: Envelope
    payload: P_co
    session: AsyncSession | None = None
    replayed: bool = False
    """True when the event was deferred earlier and is handed over again now."""

    @property
    def name(self) -> str:
        return self.envelope.name

    @property
    def idempotency_key(self) -> str:
        return self.envelope.idempotency_key

    @property
    def tenant(self) -> str:
        return self.envelope.tenant

    @property
    def logical_timestamp(self) -> int | None:
        return self.envelope.logical_timestamp


@dataclass(frozen=True)
class Receipt:
    """The outcome of one delivery, and of the deferred events it released."""

    envelope: Envelope
    outcome: Outcome
    released: list[tuple[Envelope, Outcome]] = field(default_factory=list)
    waits_for: str | None = None

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"outcome": self.outcome, "released": len(self.released)}
        if self.waits_for:
            answer["waits_for"] = self.waits_for
        return answer


Handler = Callable[[Event[Any]], Awaitable[None]]


# --- stores --------------------------------------------------------------------------------------


class EventStore:
    """Where the receiver remembers events. Subclasses: :class:`SqlEventStore` (durable),
    :class:`MemoryEventStore` (tests, a process that forgets on restart)."""

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession | None]:
        raise NotImplementedError

    async def lock(self, session: AsyncSession | None, keys: Iterable[str]) -> None:
        """Hold ``keys`` (entity ids) until the transaction ends, so that two events about one
        entity are processed one after the other: an event deferred while its order is being
        created concurrently would otherwise wait forever (neither transaction sees the
        other's writes)."""

    async def outcome(self, session: AsyncSession | None, envelope: Envelope) -> str | None:
        raise NotImplementedError

    async def mark(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> bool:
        """Record the event as seen; False when it already was (a concurrent duplicate)."""
        raise NotImplementedError

    async def settle(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> None:
        raise NotImplementedError

    async def park(self, session: AsyncSession | None, envelope: Envelope, waits_for: str) -> None:
        raise NotImplementedError

    async def release(self, session: AsyncSession | None, keys: Iterable[str]) -> list[Envelope]:
        """Take (and forget) the parked events waiting for any of ``keys``, oldest first."""
        raise NotImplementedError

    async def parked(self, session: AsyncSession | None) -> list[tuple[str, Envelope]]:
        raise NotImplementedError


metadata = MetaData()
receipts = Table(
    "sdk_event_receipts",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("idempotency_key", String(256), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
parked_events = Table(
    "sdk_parked_events",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("idempotency_key", String(256), primary_key=True),
    Column("waits_for", String(256), nullable=False, index=True),
    Column("envelope", JSON, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
)


class SqlEventStore(EventStore):
    """A durable store on any SQLAlchemy async database (SQLite file, PostgreSQL).

    ``SqlEventStore("sqlite+aiosqlite:///events.db")`` opens its own engine and creates its
    tables on first use; ``SqlEventStore(transaction=factory)`` runs inside
    transactions you provide (an ``async with factory() as session`` that commits on exit), so
    its tables live in your database next to your own rows — create them with
    ``cashwrap.sdk.events.metadata``.
    """

    def __init__(
        self,
        url_or_engine: str | AsyncEngine | None = None,
        *,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None,
    ) -> None:
        if (url_or_engine is None) == (transaction is None):
            raise ValueError("give a database URL, an engine or a transaction factory")
        self._engine: AsyncEngine | None = None
        self._owned = False
        self._created = False
        self._creating = asyncio.Lock()
        if isinstance(url_or_engine, str):
            self._engine = _engine(url_or_engine)
            self._owned = True
        elif url_or_engine is not None:
            self._engine = url_or_engine
        self._factory = transaction
        self._sessions = (
            async_sessionmaker(self._engine, expire_on_commit=False) if self._engine else None
        )
        sqlite = self._engine is not None and self._engine.dialect.name == "sqlite"
        self._serial: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if sqlite else contextlib.nullcontext()
        )

    async def create_tables(self) -> None:
        """Create the store's tables if they do not exist (done on first use by a store with
        its own engine)."""
        if self._engine is None:
            raise RuntimeError("create the tables with cashwrap.sdk.events.metadata")
        async with self._engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        self._created = True

    async def close(self) -> None:
        if self._engine is not None and self._owned:
            await self._engine.dispose()

    @asynccontextmanager
    async def _own(self) -> AsyncIterator[AsyncSession]:
        assert self._sessions is not None
        if not self._created:
            async with self._creating:
                if not self._created:
                    await self.create_tables()
        # SQLite has one writer: this process's transactions take turns instead of sleeping
        # in the busy handler.
        async with self._serial, self._sessions() as session, session.begin():
            yield session

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._factory() if self._factory is not None else self._own()

    async def lock(self, session: AsyncSession | None, keys: Iterable[str]) -> None:
        """PostgreSQL: transaction-scoped advisory locks, taken in a fixed order (no deadlock
        between two events naming the same entities). SQLite: its transactions already take
        turns (``BEGIN IMMEDIATE``)."""
        assert session is not None
        if session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted(set(keys)):
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"cashwrap.sdk.events:{key}"},
            )

    async def outcome(self, session: AsyncSession | None, envelope: Envelope) -> str | None:
        assert session is not None
        value = await session.scalar(
            select(receipts.c.outcome).where(
                receipts.c.name == envelope.name,
                receipts.c.idempotency_key == envelope.idempotency_key,
            )
        )
        return None if value is None else str(value)

    async def mark(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> bool:
        assert session is not None
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(receipts).values(
                        name=envelope.name,
                        idempotency_key=envelope.idempotency_key,
                        outcome=outcome,
                        received_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def settle(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> None:
        assert session is not None
        await session.execute(
            update(receipts)
            .where(
                receipts.c.name == envelope.name,
                receipts.c.idempotency_key == envelope.idempotency_key,
            )
            .values(outcome=outcome)
        )

    async def park(self, session: AsyncSession | None, envelope: Envelope, waits_for: str) -> None:
        assert session is not None
        await session.execute(
            delete(parked_events).where(
                parked_events.c.name == envelope.name,
                parked_events.c.idempotency_key == envelope.idempotency_key,
            )
        )
        await session.execute(
            insert(parked_events).values(
                name=envelope.name,
                idempotency_key=envelope.idempotency_key,
                waits_for=waits_for,
                envelope=envelope.raw,
                parked_at=datetime.now(UTC),
            )
        )

    async def release(self, session: AsyncSession | None, keys: Iterable[str]) -> list[Envelope]:
        assert session is not None
        wanted = sorted(set(keys))
        if not wanted:
            return []
        rows = (
            await session.execute(
                select(
                    parked_events.c.name, parked_events.c.idempotency_key, parked_events.c.envelope
                )
                .where(parked_events.c.waits_for.in_(wanted))
                .order_by(parked_events.c.parked_at)
            )
        ).all()
        if not rows:
            return []
        for name, key, _ in rows:
            await session.execute(
                delete(parked_events).where(
                    parked_events.c.name == name, parked_events.c.idempotency_key == key
                )
            )
        return [envelope_from(raw) for _, _, raw in rows]

    async def parked(self, session: AsyncSession | None) -> list[tuple[str, Envelope]]:
        assert session is not None
        rows = (
            await session.execute(
                select(parked_events.c.waits_for, parked_events.c.envelope).order_by(
                    parked_events.c.parked_at
                )
            )
        ).all()
        return [(str(waits_for), envelope_from(raw)) for waits_for, raw in rows]

    async def forget(self, session: AsyncSession | None = None) -> None:
        """Delete every receipt and parked event (a reset)."""
        if session is None:
            async with self.transaction() as own:
                await self.forget(own)
            return
        await session.execute(delete(parked_events))
        await session.execute(delete(receipts))


def _engine(url: str) -> AsyncEngine:
    """An engine; on SQLite in WAL mode, each transaction ``BEGIN IMMEDIATE`` (a reader that
    later writes would otherwise fail when another connection wrote in between) and with
    savepoints that work (the driver's own transaction handling is turned off)."""
    if not url.startswith("sqlite"):
        return create_async_engine(url)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class MemoryEventStore(EventStore):
    """An in-process store: forgets everything on restart (use :class:`SqlEventStore`)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], str] = {}
        self._parked: dict[tuple[str, str], tuple[str, Envelope]] = {}
        self._serial = asyncio.Lock()

    @asynccontextmanager
    async def _nothing(self) -> AsyncIterator[None]:
        # One delivery at a time: what the SQL store's transactions and locks give.
        async with self._serial:
            yield None

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return self._nothing()

    async def outcome(self, session: AsyncSession | None, envelope: Envelope) -> str | None:
        return self._seen.get((envelope.name, envelope.idempotency_key))

    async def mark(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> bool:
        key = (envelope.name, envelope.idempotency_key)
        if key in self._seen:
            return False
        self._seen[key] = outcome
        return True

    async def settle(self, session: AsyncSession | None, envelope: Envelope, outcome: str) -> None:
        self._seen[(envelope.name, envelope.idempotency_key)] = outcome

    async def park(self, session: AsyncSession | None, envelope: Envelope, waits_for: str) -> None:
        self._parked[(envelope.name, envelope.idempotency_key)] = (waits_for, envelope)

    async def release(self, session: AsyncSession | None, keys: Iterable[str]) -> list[Envelope]:
        wanted = set(keys)
        taken = [key for key, (waits, _) in self._parked.items() if waits in wanted]
        return [self._parked.pop(key)[1] for key in taken]

    async def parked(self, session: AsyncSession | None) -> list[tuple[str, Envelope]]:
        return list(self._parked.values())

    def unmark(self, envelope: Envelope) -> None:
        self._seen.pop((envelope.name, envelope.idempotency_key), None)


# --- the receiver --------------------------------------------------------------------------------


def envelope_from(body: Any, headers: Mapping[str, str] | None = None) -> Envelope:
    """The envelope of a delivery body (raises :class:`ReceiverError` 400 when it is not one)."""
    if not isinstance(body, dict):
        raise ReceiverError(400, "invalid_event", "the body is not a JSON object")
    name, payload = body.get("name"), body.get("payload")
    if not isinstance(name, str) or not name:
        raise ReceiverError(400, "invalid_event", "name: a non-empty string is required")
    if not isinstance(payload, dict):
        raise ReceiverError(400, "invalid_event", "payload: an object is required")
    headers = headers or {}
    key = body.get("idempotency_key") or headers.get("idempotency-key") or headers.get("webhook-id")
    if not key:
        # CONTRACT (d): the key's field was not published; name + id + logical timestamp
        # identifies an event of the platform as well.
        if payload.get("id") is None or payload.get("logical_timestamp") is None:
            raise ReceiverError(400, "invalid_event", "idempotency_key: required")
        key = f"{payload['id']}:{payload['logical_timestamp']}"
    published = body.get("published_at")
    return Envelope(
        tenant=str(body.get("tenant") or ""),
        name=name,
        idempotency_key=str(key)[:256],
        published_at=published if isinstance(published, str) else None,
        payload=payload,
        raw=body,
    )


def parse_payload(model: type[P], payload: dict[str, Any]) -> P:
    """``payload`` as ``model``, ignoring fields the model does not know (a newer platform may
    send more); raises ``ValidationError`` when a known field is wrong or missing."""
    data: Any = json.loads(json.dumps(payload))
    for _ in range(50):
        try:
            return model.model_validate(data)
        except ValidationError as error:
            extras = [e["loc"] for e in error.errors() if e["type"] == "extra_forbidden"]
            if not extras or len(extras) != len(error.errors()):
                raise
            for location in extras:
                _drop(data, location)
    return model.model_validate(data)


def _drop(data: Any, location: tuple[Any, ...]) -> None:
    for part in location[:-1]:
        data = data[part]
    if isinstance(data, dict):
        data.pop(location[-1], None)


class EventReceiver:
    """Verifies, de-duplicates, orders and hands events to typed handlers (see the module).

    ::

        receiver = EventReceiver(api_key=KEY, signing_secret=SECRET,
                                 store=SqlEventStore("sqlite+aiosqlite:///events.db"))

        @receiver.on(OrderCreated)
        async def created(event: Event[OrderCreated]) -> None:
            ...  # event.payload.id, event.payload.items, event.session

        app.mount("/newstore/events", receiver)     # or any ASGI server
    """

    def __init__(
        self,
        *,
        store: EventStore,
        api_key: str | None = None,
        signing_secret: str | None = None,
        tolerance: int = signatures.TOLERANCE_SECONDS,
    ) -> None:
        self.store = store
        self.api_key = api_key
        self.signing_secret = signing_secret
        self.tolerance = tolerance
        self._handlers: dict[str, tuple[type[EventPayload] | None, Handler]] = {}

    def using(
        self, *, api_key: str | None = None, signing_secret: str | None = None
    ) -> EventReceiver:
        """A receiver with the same store and handlers checking other credentials (a key or
        secret that changes at run time)."""
        twin = EventReceiver(
            store=self.store,
            api_key=api_key,
            signing_secret=signing_secret,
            tolerance=self.tolerance,
        )
        twin._handlers = self._handlers
        return twin

    def on(
        self, model: type[P]
    ) -> Callable[[Callable[[Event[P]], Awaitable[None]]], Callable[[Event[P]], Awaitable[None]]]:
        """Register the handler of the event whose payload model is ``model``."""

        def register(
            handler: Callable[[Event[P]], Awaitable[None]],
        ) -> Callable[[Event[P]], Awaitable[None]]:
            self._handlers[model.name] = (model, handler)
            return handler

        return register

    def on_name(self, name: str, handler: Handler) -> None:
        """Register a handler for an event the catalog does not know (payload stays a dict in
        ``event.envelope.payload``; ``event.payload`` is the untyped base model)."""
        self._handlers[name] = (None, handler)

    # --- the steps ---------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`ReceiverError` (401) unless the key and the signature check out."""
        if self.api_key is not None:
            given = headers.get("authorization", "")
            if given[:7].lower() == "bearer ":
                given = given[7:]
            if not hmac.compare_digest(given.strip().encode(), self.api_key.encode()):
                raise ReceiverError(401, "unauthorized", "missing or wrong bearer key")
        if self.signing_secret is not None:
            try:
                signatures.verify(self.signing_secret, headers, body, tolerance=self.tolerance)
            except signatures.SignatureError as error:
                raise ReceiverError(401, "invalid_signature", str(error)) from None

    def parse(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        try:
            decoded = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise ReceiverError(400, "invalid_json", "the body is not JSON") from None
        envelope = envelope_from(decoded, headers)
        entry = self._handlers.get(envelope.name)
        model = entry[0] if entry else payload_model(envelope.name)
        if model is not None:
            try:
                parse_payload(model, envelope.payload)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                raise ReceiverError(
                    422, "invalid_payload", f"{envelope.name} payload: {where}: {first['msg']}"
                ) from None
        return envelope

    async def process(self, envelope: Envelope, session: AsyncSession | None) -> Receipt:
        """De-duplicate and handle one verified event in ``session``, then the deferred events
        it releases. A handler's exception propagates: roll the transaction back."""
        await self.store.lock(session, envelope.entity_keys())
        if await self.store.outcome(session, envelope) is not None:
            return Receipt(envelope, DUPLICATE)
        if not await self.store.mark(session, envelope, HANDLED):
            return Receipt(envelope, DUPLICATE)
        try:
            outcome, waits_for = await self._handle(envelope, session, replayed=False)
        except Exception:
            if isinstance(self.store, MemoryEventStore):
                self.store.unmark(envelope)
            raise
        if outcome != HANDLED:
            await self.store.settle(session, envelope, outcome)
        released: list[tuple[Envelope, Outcome]] = []
        if outcome == HANDLED:
            await self._release(envelope, session, released)
        return Receipt(envelope, outcome, released, waits_for)

    async def receive(
        self, headers: Mapping[str, str], body: bytes, *, session: AsyncSession | None = None
    ) -> Receipt:
        """Verify, parse and process one delivery (in ``session``, or a transaction of the
        store's). Raises :class:`ReceiverError` for a delivery that is refused."""
        lowered = {key.lower(): value for key, value in headers.items()}
        self.verify(lowered, body)
        envelope = self.parse(lowered, body)
        if session is not None:
            return await self.process(envelope, session)
        async with self.store.transaction() as own:
            return await self.process(envelope, own)

    async def _handle(
        self, envelope: Envelope, session: AsyncSession | None, *, replayed: bool
    ) -> tuple[Outcome, str | None]:
        entry = self._handlers.get(envelope.name)
        if entry is None:
            return IGNORED, None
        model, handler = entry
        payload = (
            parse_payload(model, envelope.payload)
            if model is not None
            else EventPayload.model_construct()
        )
        try:
            if session is not None:
                async with session.begin_nested():
                    await handler(Event(envelope, payload, session, replayed))
            else:
                await handler(Event(envelope, payload, None, replayed))
        except Deferred as deferred:
            await self.store.park(session, envelope, deferred.waits_for)
            return DEFERRED, deferred.waits_for
        return HANDLED, None

    async def _release(
        self,
        handled: Envelope,
        session: AsyncSession | None,
        released: list[tuple[Envelope, Outcome]],
    ) -> None:
        pending = [handled]
        while pending:
            current = pending.pop(0)
            for waiting in await self.store.release(session, current.entity_keys()):
                outcome, _ = await self._handle(waiting, session, replayed=True)
                await self.store.settle(session, waiting, outcome)
                released.append((waiting, outcome))
                if outcome == HANDLED:
                    pending.append(waiting)

    async def deferred(self) -> list[tuple[str, Envelope]]:
        """The events waiting for another one: ``(waits_for, envelope)``, oldest first."""
        async with self.store.transaction() as session:
            return await self.store.parked(session)

    # --- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await send_json(send, 405, {"error_code": "method_not_allowed", "message": "POST only"})
            return
        headers, body = await read_request(scope, receive)
        try:
            receipt = await self.receive(headers, body)
        except ReceiverError as error:
            await send_json(
                send, error.status, {"error_code": error.error_code, "message": error.message}
            )
            return
        except Exception:  # noqa: BLE001 - the handler failed: the platform retries later
            await send_json(send, 500, {"error_code": "handler_failed", "message": "retry later"})
            return
        await send_json(send, 200, receipt.body())
