"""Running import jobs in the background of a serving process, and taking over orphans.

A started job is an asyncio task of the process that accepted the start call. It reads the zip
in a worker thread one batch ahead of the writes, and writes each batch in its own short
transaction together with the job's counts and its **checkpoint** (member, line). Nothing
outbound happens while a transaction is open (an http(s) source is downloaded first).

Ownership and crashes. The job row names its ``owner`` (one id per process) and carries a
``heartbeat_at`` refreshed every ``import_heartbeat_seconds``. Every batch write is a
conditional update ``WHERE owner = me AND status = 'processing'``: a process that lost the job
(set failed through the API, or taken over) stops at its next batch and its batch is rolled
back. Every process sweeps for ``processing`` jobs whose owner is gone — no owner (released by
a clean shutdown) or a heartbeat older than ``import_stale_after_seconds`` (the process died) —
claims them with one conditional update, and **resumes** them from the checkpoint: lines before
it were committed exactly once, lines after it are read again. A job interrupted
``MAX_ATTEMPTS`` times is marked failed (``import_interrupted``) instead of looping.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from prometheus_client import Counter
from sqlalchemy import or_, select, update

from cashwrap.catalog import repository
from cashwrap.catalog.models import ImportJob
from cashwrap.catalog.service import reader
from cashwrap.catalog.service.imports import MAX_STORED_ERRORS
from cashwrap.catalog.states import FAILED, FINISHED, IMPORT_JOB, PROCESSING
from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.core.states import transition
from cashwrap.core.uow import Database
from cashwrap.locations import service as locations
from cashwrap.outbound.http import OutboundHttp

logger = logging.getLogger("cashwrap.imports")

MAX_ATTEMPTS = 5
MAX_SCOPE_PAIRS = 10_000
IMPORT_RECORDS = Counter(
    "cashwrap_import_records_total", "Import records read, by entity and outcome",
    ["entity", "outcome"],
)  # fmt: skip
IMPORT_JOBS = Counter("cashwrap_import_jobs_total", "Import jobs ended, by status", ["status"])


@dataclass(frozen=True)
class RunnerSettings:
    batch_size: int = 2000
    heartbeat_seconds: float = 5.0
    stale_after_seconds: float = 60.0


class LostJob(Exception):
    """This process no longer owns the job (it was set failed, or another process took it)."""


@dataclass
class _Counts:
    processed: int = 0
    imported: int = 0
    failed: int = 0
    locations_created: int = 0

    @classmethod
    def of(cls, job: ImportJob) -> _Counts:
        return cls(
            job.records_processed, job.records_imported, job.records_failed, job.locations_created
        )


@dataclass
class _Scope:
    """The (shop, locale) and (pricebook, currency) pairs a full product import replaces."""

    shops: set[tuple[str, str]] = field(default_factory=set)
    books: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, checkpoint: dict[str, Any]) -> _Scope:
        return cls(
            {(shop, locale) for shop, locale in checkpoint.get("shops", [])},
            {(book, currency) for book, currency in checkpoint.get("books", [])},
        )

    def as_json(self) -> dict[str, Any]:
        return {"shops": sorted(map(list, self.shops)), "books": sorted(map(list, self.books))}


class ImportRunner:
    """Runs this process's import jobs and adopts orphaned ones (see the module docstring)."""

    def __init__(
        self, database: Database, http: OutboundHttp, settings: RunnerSettings | None = None
    ) -> None:
        self.database = database
        self.http = http
        self.settings = settings or RunnerSettings()
        self.owner = f"{socket.gethostname()[:32]}:{os.getpid()}:{new_id()[-12:]}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._lost: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ImportRunner:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="import-sweeper")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def launch(self, job_id: str) -> None:
        """Run a job this process owns (after the transaction that claimed it committed)."""
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._run(job_id), name=f"import-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _task: self._tasks.pop(job_id, None))

    async def wait(self, job_id: str) -> None:
        """Wait for a job of this process to end (tests, the CLI)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait([task])

    async def stop(self) -> None:
        """Stop every job of this process and hand them back for another process to resume."""
        tasks = list(self._tasks.values())
        if self._sweeper is not None:
            tasks.append(self._sweeper)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        async with self.database.transaction() as session:
            await session.execute(
                update(repository.JOBS)
                .where(
                    repository.JOBS.c.owner == self.owner, repository.JOBS.c.status == PROCESSING
                )
                .values(owner=None, heartbeat_at=None)
            )

    # --- adopting orphans ---------------------------------------------------------------------

    async def sweep(self) -> list[str]:
        """Claim and launch the processing jobs whose process is gone; their ids."""
        stale_before = clock.now() - timedelta(seconds=self.settings.stale_after_seconds)
        jobs = repository.JOBS
        orphaned = or_(jobs.c.owner.is_(None), jobs.c.heartbeat_at < stale_before)
        async with self.database.transaction() as session:
            candidates = list(
                await session.scalars(
                    select(jobs.c.id).where(jobs.c.status == PROCESSING, orphaned).limit(20)
                )
            )
        claimed: list[str] = []
        for job_id in candidates:
            if job_id in self._tasks:
                continue
            async with self.database.transaction() as session:
                result = await session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.status == PROCESSING, orphaned)
                    .values(
                        owner=self.owner, heartbeat_at=clock.now(), attempts=jobs.c.attempts + 1
                    )
                    .returning(jobs.c.attempts)
                )
                attempts = result.scalar_one_or_none()
            if attempts is None:
                continue  # another process claimed it first
            if attempts > MAX_ATTEMPTS:
                await self._fail(
                    job_id,
                    "import_interrupted",
                    f"the import was interrupted {attempts - 1} times; start a new job",
                )
                continue
            logger.info("resuming import job", extra={"job_id": job_id, "attempt": attempts})
            claimed.append(job_id)
            self.launch(job_id)
        return claimed

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("import sweep failed; trying again later")
            await asyncio.sleep(self.settings.heartbeat_seconds * 2)

    # --- running one job ----------------------------------------------------------------------

    async def _run(self, job_id: str) -> None:
        current = asyncio.current_task()
        assert current is not None
        heartbeat = asyncio.create_task(self._heartbeat(job_id, current))
        work_dir = Path(tempfile.mkdtemp(prefix="cashwrap-import-"))
        started = time.perf_counter()
        try:
            status = await self._execute(job_id, work_dir)
            if status:
                IMPORT_JOBS.labels(status).inc()
                logger.info(
                    "import job ended",
                    extra={
                        "job_id": job_id,
                        "status": status,
                        "duration_s": round(time.perf_counter() - started, 3),
                    },
                )
        except asyncio.CancelledError:
            if job_id not in self._lost:
                raise
            logger.info("import job stopped: another owner or set failed", extra={"job_id": job_id})
        except LostJob:
            logger.info("import job stopped: another owner or set failed", extra={"job_id": job_id})
        except reader.SourceProblem as problem:
            await self._fail(job_id, problem.code, problem.message)
        except Exception as error:
            logger.exception("import job crashed", extra={"job_id": job_id})
            await self._fail(job_id, "internal_error", f"{type(error).__name__}: {error}")
        finally:
            heartbeat.cancel()
            self._lost.discard(job_id)
            await asyncio.to_thread(shutil.rmtree, work_dir, True)

    async def _heartbeat(self, job_id: str, worker: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                async with self.database.transaction() as session:
                    alive = await self._touch(session, job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("import heartbeat failed", extra={"job_id": job_id})
                continue
            if not alive:
                self._lost.add(job_id)
                worker.cancel()
                return

    async def _touch(self, session: Any, job_id: str, **values: Any) -> bool:
        jobs = repository.JOBS
        result = await session.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.owner == self.owner, jobs.c.status == PROCESSING)
            .values(heartbeat_at=clock.now(), **values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def _execute(self, job_id: str, work_dir: Path) -> str | None:
        async with self.database.transaction() as session:
            job = await session.get(ImportJob, job_id)
        if job is None or job.status != PROCESSING or job.owner != self.owner:
            return None
        path = await self._local_copy(job.transformed_uri or job.source_uri, work_dir)
        plan = await asyncio.to_thread(reader.plan, path, list(job.entities))
        checkpoint: dict[str, Any] = dict(job.checkpoint or {})
        counts = _Counts.of(job)
        scope = _Scope.of(checkpoint)
        async with self.database.transaction() as session:
            if not await self._touch(session, job_id, bytes_total=plan.bytes_total):
                raise LostJob
        batches = reader.BatchReader(
            path,
            plan,
            tenant=job.tenant,
            job_id=job.id,
            moment=clock.now(),
            batch_size=self.settings.batch_size,
            member_index=int(checkpoint.get("member", 0)),
            line=int(checkpoint.get("line", 0)),
            bytes_done=int(checkpoint.get("bytes", 0)),
        )
        pending = asyncio.ensure_future(asyncio.to_thread(batches.next_batch))
        try:
            while True:
                batch = await pending
                if batch is None:
                    break
                pending = asyncio.ensure_future(asyncio.to_thread(batches.next_batch))
                await self._write(job, batch, counts, scope)
        finally:
            # The reader belongs to the thread until its current batch is done.
            if pending.done():
                batches.close()
            else:
                pending.add_done_callback(lambda _future: batches.close())
        return await self._finish(job, scope)

    async def _local_copy(self, uri: str, work_dir: Path) -> str:
        parts = urlsplit(uri)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            destination = work_dir / "source.zip"
            result = await self.http.download("import_source", uri, destination)
            if not result.ok:
                raise reader.SourceProblem(
                    "source_unreadable",
                    f"downloading {parts.scheme}://{parts.netloc}{parts.path} failed: "
                    f"{result.outcome}",
                )
            return str(destination)
        if scheme == "file":
            return unquote(parts.path)
        return uri

    async def _write(
        self, job: ImportJob, batch: reader.Batch, counts: _Counts, scope: _Scope
    ) -> None:
        """One batch, its errors, the counts and the checkpoint, in one short transaction."""
        errors = list(batch.errors)
        imported = batch.records
        created = 0
        scope.shops |= batch.shops
        scope.books |= batch.books
        if len(scope.shops) + len(scope.books) > MAX_SCOPE_PAIRS:
            raise reader.SourceProblem(
                "too_many_shops", f"more than {MAX_SCOPE_PAIRS} shops/pricebooks in one import"
            )
        async with self.database.transaction() as session:
            kind = batch.member.kind
            if kind == reader.PRODUCTS:
                await repository.upsert_products(session, list(batch.products.values()))
                await repository.upsert_prices(session, list(batch.prices.values()))
            elif kind == reader.STORE_MAPPING:
                mappings = [
                    locations.StoreMapping(
                        store_id=record.store_id,
                        fulfillment_node_id=record.fulfillment_node_id,
                        country_code=record.country_code,
                        description=record.description,
                        timezone=record.timezone,
                    )
                    for _, record in batch.mappings
                ]
                created, refused = await locations.apply_store_mappings(
                    session, job.tenant, mappings, import_id=job.id
                )
                for index, (code, message) in refused.items():
                    errors.append(reader.LineError(batch.mappings[index][0], code, message))
                imported -= len(refused)
            else:
                created = await locations.ensure_locations(
                    session, job.tenant, {node for node, _ in batch.stock}, import_id=job.id
                )
                levels = [
                    (row["fulfillment_node_id"], row["product_id"], row["on_hand"])
                    for row in batch.stock.values()
                ]
                await locations.set_stock(session, job.tenant, levels)
            errors.sort(key=lambda error: error.line)
            await repository.insert_errors(
                session,
                [
                    {
                        "job_id": job.id,
                        "seq": counts.failed + position,
                        "entity": batch.entity,
                        "file": batch.member.name[:255],
                        "line": error.line,
                        "error_code": error.code,
                        "message": error.message,
                    }
                    for position, error in enumerate(errors)
                    if counts.failed + position < MAX_STORED_ERRORS
                ],
            )
            after = _Counts(
                processed=counts.processed + imported + len(errors),
                imported=counts.imported + imported,
                failed=counts.failed + len(errors),
                locations_created=counts.locations_created + created,
            )
            alive = await self._touch(
                session,
                job.id,
                records_processed=after.processed,
                records_imported=after.imported,
                records_failed=after.failed,
                locations_created=after.locations_created,
                bytes_done=batch.bytes_done,
                checkpoint={
                    "member": batch.member_index,
                    "line": batch.next_line,
                    "bytes": batch.bytes_done,
                    **scope.as_json(),
                },
            )
            if not alive:
                raise LostJob
        counts.processed, counts.imported = after.processed, after.imported
        counts.failed, counts.locations_created = after.failed, after.locations_created
        IMPORT_RECORDS.labels(batch.entity, "imported").inc(imported)
        if errors:
            IMPORT_RECORDS.labels(batch.entity, "failed").inc(len(errors))

    async def _finish(self, job: ImportJob, scope: _Scope) -> str:
        async with self.database.transaction() as session:
            removed = 0
            if job.full_import and "products" in job.entities:
                removed = await repository.remove_products_not_in(
                    session, job.tenant, job.id, scope.shops
                )
                await repository.remove_prices_not_in(session, job.tenant, job.id, scope.books)
            if not await self._touch(session, job.id):
                raise LostJob
            await transition(
                session,
                repository.JOBS,
                lifecycle=IMPORT_JOB,
                row_id=job.id,
                current=PROCESSING,
                target=FINISHED,
                values={
                    "finished_at": clock.now(),
                    "products_removed": removed,
                    "owner": None,
                    "heartbeat_at": None,
                },
            )
        return FINISHED

    async def _fail(self, job_id: str, code: str, message: str) -> None:
        async with self.database.transaction() as session:
            if not await self._touch(session, job_id):
                return
            await transition(
                session,
                repository.JOBS,
                lifecycle=IMPORT_JOB,
                row_id=job_id,
                current=PROCESSING,
                target=FAILED,
                values={
                    "finished_at": clock.now(),
                    "failure_code": code,
                    "failure_message": message,
                    "owner": None,
                    "heartbeat_at": None,
                },
            )
        IMPORT_JOBS.labels(FAILED).inc()
        logger.warning(
            "import job failed", extra={"job_id": job_id, "error_code": code, "detail": message}
        )
