"""The dispatcher: fans committed events out to integrations and delivers them over HTTP.

It runs inside ``cashwrap serve`` (``CASHWRAP_DISPATCHER_ENABLED``) and as ``cashwrap worker``
processes; any number of them can share one PostgreSQL database, SQLite has one.

One dispatcher is three loops around two short transactions:

* the **claimer** opens a transaction that (1) deletes a batch of ``event_outbox`` rows
  (``FOR UPDATE SKIP LOCKED``) and inserts their deliveries, one per matching integration, and
  (2) leases due deliveries (``claimed_by``/``claimed_until``, again ``SKIP LOCKED``). It commits
  before anything is sent: no HTTP inside a transaction.
* **senders** POST each leased delivery (bounded in flight per worker and per integration).
* the **recorder** writes the outcomes of a batch of attempts in one transaction: the
  deliveries' new states and one attempt row each.

A worker killed at any point loses nothing: an outbox row is deleted only in the transaction that
creates its deliveries, and a lease that is never resolved expires after ``claim_seconds`` and
the delivery is claimed again by any worker. The price is at-least-once delivery: a delivery that
was acknowledged but whose outcome was not yet written is sent again. That is at most the
worker's in-flight window (``2 × batch_size`` leases) per crash.

Waking: PostgreSQL ``LISTEN cashwrap_events`` (a trigger on ``event_outbox`` notifies at commit),
the local ``after_commit`` hook of :mod:`cashwrap.events.outbox`, and a poll every
``poll_seconds`` as the safety net (lost notifications, retries coming due, expired leases).

Ordering: none is promised, as with NewStore. Deliveries are leased oldest-due first and up to
``per_integration_concurrency`` are in flight for one integration, so two events of one entity can
arrive out of order, and a retried event arrives after later ones. ``payload.logical_timestamp``
lets a receiver drop a stale event.

When an integration fails with a retryable error, the worker holds back that integration's other
deliveries for the same backoff (a per-integration circuit), so an endpoint that is down receives
a trickle of probes instead of every pending event, and the other integrations keep flowing.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database
from cashwrap.events import metrics, policy
from cashwrap.events.filters import EventFilter
from cashwrap.events.housekeeping import (
    refresh_gauges,
    replay_step,
    stop_finished_temporary_integrations,
)
from cashwrap.events.models import (
    deliveries,
    event_outbox,
    event_records,
    integrations,
)
from cashwrap.events.outbox import DUE, NOTIFY_CHANNEL, add_local_waker, remove_local_waker
from cashwrap.events.policy import DeliveryState, Outcome
from cashwrap.events.repository import (
    Outcomes,
    dispatcher_engine,
    in_window,
    insert_ignoring_duplicates,
    write_outcomes,
)

logger = logging.getLogger("cashwrap.events")

RECORD_DELAY_SECONDS = 0.05
CLAIM_DEBOUNCE_SECONDS = 0.01

# Built once: the dispatcher claims every few commits, and building these statements each time
# cost more of the process than running them.
_TAKE_FROM_OUTBOX = (
    delete(event_outbox)
    .where(
        event_outbox.c.event_id.in_(
            select(event_outbox.c.event_id)
            .order_by(event_outbox.c.created_at)
            .limit(bindparam("limit"))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .returning(
        event_outbox.c.event_id,
        event_outbox.c.tenant,
        event_outbox.c.name,
        event_outbox.c.body,
        event_outbox.c.created_at,
    )
)
_SUBSCRIBED = select(
    integrations.c.pk,
    integrations.c.tenant,
    integrations.c.status,
    integrations.c.starts_at,
    integrations.c.ends_at,
    integrations.c.filter_conditions,
    integrations.c.integration_id,
    integrations.c.callback_url,
    integrations.c.api_key,
    integrations.c.signing_secret,
).where(integrations.c.tenant.in_(bindparam("tenants", expanding=True)))


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 200
    concurrency: int = 32
    per_integration_concurrency: int = 16
    claim_seconds: float = 30.0
    poll_seconds: float = 1.0
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    horizon_seconds: float = 3 * 24 * 3600.0
    housekeeping_seconds: float = 1.0

    @property
    def window(self) -> int:
        """Leases one worker holds at most (and so the most duplicates a crash can cause)."""
        return 2 * self.batch_size

    @classmethod
    def from_settings(cls, settings: Any) -> DispatcherConfig:
        return cls(
            batch_size=settings.event_batch_size,
            concurrency=settings.event_concurrency,
            per_integration_concurrency=settings.event_per_integration_concurrency,
            claim_seconds=settings.event_claim_seconds,
            poll_seconds=settings.event_poll_seconds,
            timeout_seconds=settings.event_delivery_timeout_seconds,
            retry_base_seconds=settings.event_retry_base_seconds,
            retry_max_seconds=settings.event_retry_max_seconds,
            horizon_seconds=settings.event_retry_horizon_seconds,
        )


@dataclass(frozen=True)
class Target:
    pk: str
    tenant: str
    integration_id: str
    callback_url: str
    api_key: str | None
    signing_secret: str
    signing_key: bytes = b""

    @classmethod
    def of(cls, *row: Any) -> Target:
        target = cls(*row)
        return replace(target, signing_key=policy.signing_key(target.signing_secret))


@dataclass
class Job:
    delivery_id: str
    target: Target
    event_id: str
    event_created_at: datetime
    attempts: int
    first_attempt_at: datetime | None
    body: bytes = b""


@dataclass
class Result:
    job: Job
    attempted_at: datetime
    duration_ms: float = 0.0
    status: int | None = None
    error: str | None = None
    response_body: str | None = None
    decision: policy.Decision | None = None
    deferred_until: datetime | None = None


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0  # time.monotonic()


@dataclass
class DispatcherStats:
    """What this dispatcher did since it started (for tests, benchmarks and the CLI)."""

    fanned_out: int = 0
    attempts: int = 0
    delivered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        database: Database,
        config: DispatcherConfig | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self._own_engine = not database.is_sqlite
        self.engine: AsyncEngine = (
            database.engine if database.is_sqlite else dispatcher_engine(database.url)
        )
        self.config = config or DispatcherConfig()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-8:]}"
        self.stats = DispatcherStats()
        self._wake = asyncio.Event()
        # Leasing due deliveries costs a query: it runs when told (a DUE notification), when a
        # retry this worker scheduled comes due, and every poll interval (other workers'
        # retries, expired leases).
        self._due_hint = True
        self._last_due_check = 0.0
        self._last_claim_at = 0.0
        self._local_due: list[float] = []  # heap of time.monotonic() values
        self._room = asyncio.Event()
        self._stopping = asyncio.Event()
        self._unrecorded = 0
        self._results: list[Result] = []
        self._results_ready = asyncio.Event()
        self._results_full = asyncio.Event()
        self._circuits: dict[str, _Circuit] = {}
        self._metric_children: dict[str, tuple[Any, dict[Outcome, Any]]] = {}
        self._target_cache: dict[str, Target] = {}
        self._integration_slots: dict[str, asyncio.Semaphore] = {}
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_housekeeping = 0.0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=self.config.concurrency, limit_per_host=0)
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds),
            skip_auto_headers=("User-Agent",),
        )
        add_local_waker(self._wake_threadsafe)
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="events-claimer"),
            asyncio.create_task(self._record_loop(), name="events-recorder"),
        ]
        if not self.database.is_sqlite:
            self._loops.append(asyncio.create_task(self._listen_loop(), name="events-listener"))
        logger.info("event dispatcher started", extra={"worker": self.worker_id})

    async def stop(self) -> None:
        """Stop claiming, finish the deliveries in flight and write their outcomes.

        The recorder is never cancelled in the middle of a transaction: it is told to finish
        and exits once everything is written (a lease it could not write expires as after a
        crash).
        """
        self._stopping.set()
        self._wake.set()
        self._room.set()
        remove_local_waker(self._wake_threadsafe)
        claimer, recorder, *others = self._loops
        await asyncio.gather(claimer, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._results_ready.set()
        self._results_full.set()
        try:
            await asyncio.wait_for(recorder, self.config.claim_seconds)
        except Exception:  # its leases simply expire
            logger.warning("event dispatcher: outcomes left unwritten at stop", exc_info=True)
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._own_engine:
            await self.engine.dispose()
        logger.info("event dispatcher stopped", extra={"worker": self.worker_id})

    async def run_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    def wake(self) -> None:
        self._notified(True)

    def _wake_threadsafe(self, due: bool = False) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._notified, due)

    def _notified(self, due: bool) -> None:
        if due:
            self._due_hint = True
        self._wake.set()

    def _lease_due_now(self) -> bool:
        now = time.monotonic()
        while self._local_due and self._local_due[0] <= now:
            heapq.heappop(self._local_due)
            self._due_hint = True
        if now - self._last_due_check >= self.config.poll_seconds:
            self._due_hint = True
        if not self._due_hint:
            return False
        self._due_hint = False
        self._last_due_check = now
        return True

    # ------------------------------------------------------------------ claimer

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                room = self.config.window - self._unrecorded
                if room < max(1, self.config.batch_size // 2):
                    self._room.clear()
                    self._results_full.set()
                    await self._room.wait()
                    continue
                self._wake.clear()
                jobs = await self._claim(min(room, self.config.batch_size))
                for job in jobs:
                    self._dispatch(job)
                housekeeping_due = (
                    time.monotonic() - self._last_housekeeping > self.config.housekeeping_seconds
                )
                if housekeeping_due and await self._housekeeping():
                    continue
                if len(jobs) >= min(room, self.config.batch_size):
                    continue
                await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("event dispatcher: claiming failed; retrying in a second")
                await self._sleep(1.0)

    async def _idle(self) -> None:
        now = time.monotonic()
        waits = [self._last_due_check + self.config.poll_seconds - now]
        if self._local_due:
            waits.append(self._local_due[0] - now)
        waits += [c.open_until - now for c in self._circuits.values() if c.open_until > now]
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(min(waits), 0.001))
        busy = time.monotonic() - self._last_claim_at < CLAIM_DEBOUNCE_SECONDS * 5
        if busy and self._wake.is_set() and not self._stopping.is_set():
            # In a steady stream, let a few more commits land so that one claim carries them
            # together; a lone event after a quiet spell is claimed at once.
            await asyncio.sleep(CLAIM_DEBOUNCE_SECONDS)

    async def _sleep(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _cooling(self) -> list[str]:
        now = time.monotonic()
        return [pk for pk, circuit in self._circuits.items() if circuit.open_until > now]

    async def _claim(self, limit: int) -> list[Job]:
        now = clock.now()
        until = now + timedelta(seconds=self.config.claim_seconds)
        cooling = self._cooling()
        targets: dict[str, Target] = {}
        bodies: dict[str, tuple[bytes, datetime]] = {}
        self._last_claim_at = time.monotonic()
        async with self.engine.begin() as conn:
            claimed = await self._fan_out(conn, now, until, limit, cooling, targets, bodies)
            if len(claimed) < limit and self._lease_due_now():
                wanted = limit - len(claimed)
                leased = await self._lease_due(conn, now, until, wanted, cooling)
                if len(leased) == wanted:
                    self._due_hint = True  # there may be more waiting
                claimed += leased
            if not claimed:
                return []
            missing = {row["integration_pk"] for row in claimed} - targets.keys()
            if missing:
                targets.update(await self._targets(conn, missing))
            unread = {row["event_id"] for row in claimed} - bodies.keys()
            if unread:
                bodies.update(await self._bodies(conn, unread))
        jobs = []
        for row in claimed:
            target = targets.get(row["integration_pk"])
            body = bodies.get(row["event_id"])
            if target is None or body is None:
                continue
            jobs.append(
                Job(
                    delivery_id=row["id"],
                    target=target,
                    event_id=row["event_id"],
                    event_created_at=clock.as_utc(body[1]),
                    attempts=row["attempts"],
                    first_attempt_at=row["first_attempt_at"],
                    body=body[0],
                )
            )
        self._unrecorded += len(jobs)
        return jobs

    async def _fan_out(
        self,
        conn: AsyncConnection,
        now: datetime,
        until: datetime,
        limit: int,
        cooling: Sequence[str],
        targets: dict[str, Target],
        bodies: dict[str, tuple[bytes, datetime]],
    ) -> list[dict[str, Any]]:
        """Turn a batch of outbox rows into deliveries; lease up to ``limit`` of them.

        ``targets`` and ``bodies`` receive the integrations and the event bodies read on the
        way, so the caller need not read them again.
        """
        taken = (await conn.execute(_TAKE_FROM_OUTBOX, {"limit": limit})).all()
        if not taken:
            return []
        for row in taken:
            bodies[row.event_id] = (row.body.encode(), row.created_at)
        self.stats.fanned_out += len(taken)
        for row in taken:
            metrics.EVENTS_RECORDED.labels(row.name).inc()
        tenants = {row.tenant for row in taken}
        subscribed = (await conn.execute(_SUBSCRIBED, {"tenants": sorted(tenants)})).all()
        if not subscribed:
            return []
        for i in subscribed:
            targets[i.pk] = self._target(
                i.pk, i.tenant, i.integration_id, i.callback_url, i.api_key, i.signing_secret
            )
        by_tenant: dict[str, list[Any]] = {}
        for integration in subscribed:
            by_tenant.setdefault(integration.tenant, []).append(integration)
        filters = {i.pk: EventFilter.parse(i.filter_conditions) for i in subscribed}
        rows: list[dict[str, Any]] = []
        claimed: list[dict[str, Any]] = []
        for event in taken:
            created_at = clock.as_utc(event.created_at)
            for integration in by_tenant.get(event.tenant, ()):
                if not in_window(integration, created_at):
                    continue
                if not filters[integration.pk].accepts(event.name):
                    continue
                running = integration.status == "running" and integration.pk not in cooling
                lease = running and len(claimed) < limit
                if running and not lease:
                    self._due_hint = True
                delivery = {
                    "id": new_id(),
                    "tenant": event.tenant,
                    "integration_pk": integration.pk,
                    "event_id": event.event_id,
                    "state": DeliveryState.PENDING.value,
                    "due_at": now,
                    "attempts": 0,
                    "claimed_by": self.worker_id if lease else None,
                    "claimed_until": until if lease else None,
                    "created_at": now,
                }
                rows.append(delivery)
                if lease:
                    claimed.append(delivery | {"first_attempt_at": None})
        if not rows:
            return []
        inserted = await insert_ignoring_duplicates(conn, rows)
        return [row for row in claimed if row["id"] in inserted]

    async def _lease_due(
        self,
        conn: AsyncConnection,
        now: datetime,
        until: datetime,
        limit: int,
        cooling: Sequence[str],
    ) -> list[dict[str, Any]]:
        running = select(integrations.c.pk).where(integrations.c.status == "running")
        conditions = [
            deliveries.c.state == DeliveryState.PENDING.value,
            deliveries.c.due_at <= now,
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            deliveries.c.integration_pk.in_(running),
        ]
        if cooling:
            conditions.append(deliveries.c.integration_pk.not_in(cooling))
        due = (
            select(deliveries.c.id)
            .where(*conditions)
            .order_by(deliveries.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=deliveries)
            .scalar_subquery()
        )
        result = await conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(due))
            .values(claimed_by=self.worker_id, claimed_until=until)
            .returning(
                deliveries.c.id,
                deliveries.c.integration_pk,
                deliveries.c.event_id,
                deliveries.c.attempts,
                deliveries.c.first_attempt_at,
            )
        )
        return [dict(row._mapping) for row in result]

    async def _targets(self, conn: AsyncConnection, pks: set[str]) -> dict[str, Target]:
        rows = await conn.execute(
            select(
                integrations.c.pk,
                integrations.c.tenant,
                integrations.c.integration_id,
                integrations.c.callback_url,
                integrations.c.api_key,
                integrations.c.signing_secret,
            ).where(integrations.c.pk.in_(pks))
        )
        return {row.pk: self._target(*row) for row in rows}

    def _target(self, *row: Any) -> Target:
        """A Target, reusing the decoded signing key while the integration is unchanged."""
        cached = self._target_cache.get(row[0])
        if cached is not None and (
            cached.tenant,
            cached.integration_id,
            cached.callback_url,
            cached.api_key,
            cached.signing_secret,
        ) == tuple(row[1:]):
            return cached
        target = Target.of(*row)
        self._target_cache[row[0]] = target
        return target

    async def _bodies(
        self, conn: AsyncConnection, event_ids: set[str]
    ) -> dict[str, tuple[bytes, datetime]]:
        rows = await conn.execute(
            select(event_records.c.id, event_records.c.body, event_records.c.created_at).where(
                event_records.c.id.in_(event_ids)
            )
        )
        return {row.id: (row.body.encode(), row.created_at) for row in rows}

    # ------------------------------------------------------------------ senders

    def _dispatch(self, job: Job) -> None:
        task = asyncio.create_task(self._deliver(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: Job) -> None:
        slots = self._integration_slots.get(job.target.pk)
        if slots is None:
            slots = asyncio.Semaphore(self.config.per_integration_concurrency)
            self._integration_slots[job.target.pk] = slots
        try:
            async with slots, self._slots:
                result = await self._attempt(job)
        except Exception as error:  # a sender must never lose a leased delivery
            logger.exception("event delivery crashed", extra={"delivery": job.delivery_id})
            result = Result(job=job, attempted_at=clock.now(), error=f"internal: {error!r}")
            result.decision = policy.Decision(Outcome.RETRY, self.config.retry_base_seconds)
        self._results.append(result)
        self._results_ready.set()
        if len(self._results) >= self.config.batch_size // 2 or self._stopping.is_set():
            self._results_full.set()

    async def _attempt(self, job: Job) -> Result:
        circuit = self._circuits.get(job.target.pk)
        if circuit is not None and circuit.open_until > time.monotonic():
            wait = circuit.open_until - time.monotonic()
            return Result(
                job=job,
                attempted_at=clock.now(),
                deferred_until=clock.now() + timedelta(seconds=wait),
            )
        assert self._http is not None
        attempted_at = clock.now()
        headers = policy.headers(
            event_id=job.event_id,
            body=job.body,
            secret=job.target.signing_key,
            api_key=job.target.api_key,
            timestamp=int(time.time()),
        )
        started = time.perf_counter()
        result = Result(job=job, attempted_at=attempted_at)
        retry_after: float | None = None
        try:
            async with self._http.post(
                job.target.callback_url, data=job.body, headers=headers, allow_redirects=False
            ) as response:
                result.status = response.status
                content = await response.read()
                if not 200 <= response.status <= 299:
                    result.response_body = policy.truncate(content.decode(errors="replace"))
                    retry_after = policy.retry_after_seconds(
                        response.headers.get("Retry-After"), now=clock.now()
                    )
        except TimeoutError:
            result.error = f"timeout after {self.config.timeout_seconds:g} s"
        except aiohttp.ClientConnectorError as error:
            result.error = f"connection failed: {error.os_error or error}"
        except aiohttp.ClientError as error:
            result.error = f"{type(error).__name__}: {error}"
        except OSError as error:
            result.error = f"{type(error).__name__}: {error}"
        result.duration_ms = (time.perf_counter() - started) * 1000
        now = clock.now()
        failures = job.attempts + 1
        result.decision = policy.decide(
            status=result.status,
            retry_after=retry_after,
            failures=failures,
            first_attempt_at=clock.as_utc(job.first_attempt_at or attempted_at),
            now=now,
            base=self.config.retry_base_seconds,
            cap=self.config.retry_max_seconds,
            horizon=self.config.horizon_seconds,
        )
        self._update_circuit(job.target.pk, result.decision, retry_after)
        lag, counters = self._metrics(job.target)
        if result.decision.outcome is Outcome.DELIVERED:
            lag.observe(max((now - job.event_created_at).total_seconds(), 0.0))
        counters[result.decision.outcome].inc()
        return result

    def _metrics(self, target: Target) -> tuple[Any, dict[Outcome, Any]]:
        """The integration's metric children, looked up once (labels() takes a lock)."""
        cached = self._metric_children.get(target.pk)
        if cached is None:
            labels = (target.tenant, target.integration_id)
            cached = (
                metrics.DELIVERY_LAG.labels(*labels),
                {o: metrics.DELIVERIES.labels(*labels, o.value) for o in Outcome},
            )
            self._metric_children[target.pk] = cached
        return cached

    def _update_circuit(
        self, pk: str, decision: policy.Decision, retry_after: float | None
    ) -> None:
        circuit = self._circuits.setdefault(pk, _Circuit())
        if decision.outcome in (Outcome.RETRY, Outcome.DEAD_LETTERED):
            circuit.failures += 1
            pause = (
                retry_after
                if retry_after is not None
                else policy.backoff_seconds(
                    circuit.failures,
                    base=self.config.retry_base_seconds,
                    cap=self.config.retry_max_seconds,
                )
            )
            circuit.open_until = max(circuit.open_until, time.monotonic() + pause)
        elif decision.outcome is Outcome.DELIVERED:
            circuit.failures = 0
            circuit.open_until = 0.0

    # ------------------------------------------------------------------ recorder

    async def _record_loop(self) -> None:
        failures = 0
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            if not self._stopping.is_set():
                # Outcomes wait up to RECORD_DELAY for company, so that under load one
                # transaction carries a batch of them; less when the leases run out.
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._results_full.wait(), RECORD_DELAY_SECONDS)
            self._results_full.clear()
            try:
                await self._flush()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("event dispatcher: recording outcomes failed; retrying")
                if self._stopping.is_set() and failures >= 3:
                    return
                await asyncio.sleep(0.5)
                self._results_ready.set()
                continue
            if self._stopping.is_set() and not self._results and not self._tasks:
                return

    async def _flush(self) -> None:
        if not self._results:
            return
        results, self._results = self._results, []
        try:
            await self._write(results)
        except BaseException:
            self._results = results + self._results
            raise
        self._unrecorded -= len(results)
        self._room.set()
        self._wake.set()

    def _remember_due(self, seconds: float) -> None:
        if seconds < self.config.poll_seconds:
            heapq.heappush(self._local_due, time.monotonic() + seconds)

    async def _write(self, results: list[Result]) -> None:
        me = self.worker_id
        delivered_by_code: dict[int | None, list[str]] = {}
        first_seen: datetime | None = None
        retried: list[dict[str, Any]] = []
        finished: list[dict[str, Any]] = []
        deferred: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        for result in results:
            job = result.job
            if result.decision is None:
                deferred.append({"_id": job.delivery_id, "_due": result.deferred_until})
                if result.deferred_until is not None:
                    wait = (result.deferred_until - clock.now()).total_seconds()
                    self._remember_due(max(wait, 0.0))
                continue
            outcome = result.decision.outcome
            self.stats.attempts += 1
            self.stats.outcomes[outcome.value] = self.stats.outcomes.get(outcome.value, 0) + 1
            finished_at = result.attempted_at + timedelta(milliseconds=result.duration_ms)
            common = {
                "_id": job.delivery_id,
                "_at": result.attempted_at,
                "_code": result.status,
                "_error": result.error,
            }
            if outcome is Outcome.DELIVERED:
                self.stats.delivered += 1
                delivered_by_code.setdefault(result.status, []).append(job.delivery_id)
                first_seen = min(first_seen or result.attempted_at, result.attempted_at)
            elif outcome is Outcome.RETRY:
                due = finished_at + timedelta(seconds=result.decision.delay_seconds)
                retried.append(common | {"_due": due})
                self._remember_due(result.decision.delay_seconds)
            else:
                finished.append(common | {"_state": outcome.value})
            attempts.append(
                {
                    "id": new_id(),
                    "delivery_id": job.delivery_id,
                    "tenant": job.target.tenant,
                    "attempted_at": result.attempted_at,
                    "duration_ms": round(result.duration_ms, 3),
                    "status_code": result.status,
                    "outcome": outcome.value,
                    "error": result.error,
                    "response_body": result.response_body,
                    "worker": me,
                }
            )
        await write_outcomes(
            self.engine,
            Outcomes(
                worker=me,
                delivered_by_code=delivered_by_code,
                first_seen=first_seen,
                retried=retried,
                finished=finished,
                deferred=deferred,
                attempts=attempts,
            ),
        )

    # ------------------------------------------------------------------ housekeeping

    async def _housekeeping(self) -> bool:
        """Replay windows, stop finished temporary integrations, refresh gauges.

        Returns True when it created work (deliveries to claim right away).
        """
        self._last_housekeeping = time.monotonic()
        replayed = False
        for _ in range(10):
            if not await replay_step(self.engine):
                break
            replayed = True
            self._due_hint = True
        await stop_finished_temporary_integrations(self.engine)
        await refresh_gauges(self.engine)
        return replayed

    # ------------------------------------------------------------------ LISTEN / NOTIFY

    async def _listen_loop(self) -> None:
        import asyncpg

        url = make_url(self.database.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stopping.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await connection.add_listener(
                    NOTIFY_CHANNEL, lambda *args: self._notified(args[-1] == DUE)
                )
                # Anything committed before we listened is found by the next claim.
                self._notified(True)
                stop_waiter = asyncio.create_task(self._stopping.wait())
                lost_waiter = asyncio.create_task(lost.wait())
                await asyncio.wait({stop_waiter, lost_waiter}, return_when=asyncio.FIRST_COMPLETED)
                stop_waiter.cancel()
                lost_waiter.cancel()
            except asyncio.CancelledError:
                raise
            except Exception:  # polling covers the gap; try again shortly
                logger.warning("event dispatcher: LISTEN connection failed", exc_info=True)
                await self._sleep(1.0)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close(timeout=2)


class _HasState(Protocol):
    state: Any


@asynccontextmanager
async def dispatcher_lifespan(app: _HasState) -> AsyncIterator[None]:
    """The dispatcher inside ``cashwrap serve``, unless ``CASHWRAP_DISPATCHER_ENABLED=false``."""
    settings = app.state.settings
    if not settings.dispatcher_enabled:
        app.state.dispatcher = None
        yield
        return
    dispatcher = Dispatcher(app.state.database, DispatcherConfig.from_settings(settings))
    await dispatcher.start()
    app.state.dispatcher = dispatcher
    try:
        yield
    finally:
        await dispatcher.stop()
