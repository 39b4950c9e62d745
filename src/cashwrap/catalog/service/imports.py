"""Import jobs as the API sees them: create, start, read, set failed.

The work itself happens in :mod:`cashwrap.catalog.service.runner`, in the background of the
serving process; these functions only move the job row, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog import repository
from cashwrap.catalog.models import ImportJob
from cashwrap.catalog.states import FAILED, IMPORT_JOB, PROCESSING, RECEIVED
from cashwrap.core import clock
from cashwrap.core.errors import InvalidInput, InvalidTransition, NotFound, RateLimited
from cashwrap.core.ids import new_id
from cashwrap.core.states import transition

MAX_OPEN_JOBS = 20
MAX_OPEN_PRODUCT_JOBS = 10
MAX_STORED_ERRORS = 1000
RETRY_AFTER_SECONDS = 300  # NewStore's advice: space large jobs five minutes apart


async def create_job(
    session: AsyncSession,
    tenant: str,
    *,
    provider: str,
    source_uri: str,
    entities: Sequence[str],
    full_import: bool,
    name: str | None = None,
    allow_local_files: bool = False,
) -> ImportJob:
    """A ``received`` job; 429 when the tenant already has 20 open jobs (10 with products).

    The open-job count and the insert happen in one transaction; on PostgreSQL a transaction
    advisory lock per tenant makes concurrent creations count one after the other (SQLite's
    ``BEGIN IMMEDIATE`` already does).
    """
    check_source_uri(source_uri, allow_local_files=allow_local_files, field="source_uri")
    await _serialize_per_tenant(session, tenant)
    open_jobs, open_product_jobs = await repository.count_open_jobs(session, tenant)
    if open_jobs >= MAX_OPEN_JOBS:
        raise RateLimited(
            f"{open_jobs} import jobs are still open (at most {MAX_OPEN_JOBS}); "
            "wait for them to finish",
            retry_after=RETRY_AFTER_SECONDS,
            code="too_many_open_imports",
        )
    if "products" in entities and open_product_jobs >= MAX_OPEN_PRODUCT_JOBS:
        raise RateLimited(
            f"{open_product_jobs} product import jobs are still open "
            f"(at most {MAX_OPEN_PRODUCT_JOBS}); wait for them to finish",
            retry_after=RETRY_AFTER_SECONDS,
            code="too_many_open_imports",
        )
    job = ImportJob(
        id=new_id(),
        tenant=tenant,
        provider=provider,
        name=name,
        source_uri=source_uri,
        transformed_uri=None,
        entities=list(entities),
        full_import=full_import,
        status=RECEIVED,
        owner=None,
        attempts=0,
        checkpoint=None,
        records_processed=0,
        records_imported=0,
        records_failed=0,
        bytes_total=None,
        bytes_done=0,
        locations_created=0,
        products_removed=0,
        created_at=clock.now(),
    )
    session.add(job)
    await session.flush()
    return job


async def start_job(
    session: AsyncSession,
    tenant: str,
    job_id: str,
    *,
    owner: str,
    transformed_uri: str | None = None,
    allow_local_files: bool = False,
) -> ImportJob:
    """Move a ``received`` job to ``processing``, owned by ``owner`` (the caller runs it after
    committing). A full import of availabilities fails right here, as NewStore's does.

    Starting a job twice is 409 ``import_already_started``: only one start wins the guarded
    update, so a job never runs twice.
    """
    if transformed_uri is not None:
        check_source_uri(
            transformed_uri, allow_local_files=allow_local_files, field="transformed_uri"
        )
    job = await get_job(session, tenant, job_id)
    if job.status != RECEIVED:
        raise InvalidTransition(
            f"import job {job_id} is {job.status}; only a received job can be started",
            code="import_already_started",
            extra={"current_status": job.status},
        )
    moment = clock.now()
    if job.full_import and "availabilities" in job.entities:
        await transition(
            session,
            repository.JOBS,
            lifecycle=IMPORT_JOB,
            row_id=job.id,
            current=RECEIVED,
            target=FAILED,
            values={
                "transformed_uri": transformed_uri,
                "started_at": moment,
                "finished_at": moment,
                "failure_code": "full_import_not_supported",
                "failure_message": "availabilities cannot be imported as a full import; "
                "create the job with full_import false",
            },
        )
    else:
        await transition(
            session,
            repository.JOBS,
            lifecycle=IMPORT_JOB,
            row_id=job.id,
            current=RECEIVED,
            target=PROCESSING,
            values={
                "transformed_uri": transformed_uri,
                "started_at": moment,
                "owner": owner,
                "heartbeat_at": moment,
                "attempts": 1,
            },
        )
    return await get_job(session, tenant, job_id, fresh=True)


async def set_failed(session: AsyncSession, tenant: str, job_id: str) -> ImportJob:
    """NewStore's "Set import job status to failed": frees the job's open slot.

    A job being processed notices at its next batch and stops; what it committed stays.
    """
    job = await get_job(session, tenant, job_id)
    await transition(
        session,
        repository.JOBS,
        lifecycle=IMPORT_JOB,
        row_id=job.id,
        current=job.status,
        target=FAILED,
        values={
            "finished_at": clock.now(),
            "failure_code": "set_failed",
            "failure_message": "the job was set to failed through the API",
            "owner": None,
        },
    )
    return await get_job(session, tenant, job_id, fresh=True)


async def get_job(
    session: AsyncSession, tenant: str, job_id: str, *, fresh: bool = False
) -> ImportJob:
    job = await session.get(ImportJob, job_id, populate_existing=fresh)
    if job is None or job.tenant != tenant:
        raise NotFound(f"import job {job_id!r} does not exist", code="import_not_found")
    return job


async def list_jobs(session: AsyncSession, tenant: str, *, limit: int = 50) -> list[ImportJob]:
    rows = await session.scalars(
        select(ImportJob)
        .where(ImportJob.tenant == tenant)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(limit)
    )
    return list(rows)


async def describe(session: AsyncSession, job: ImportJob) -> dict[str, Any]:
    """The job as ``GET /v0/d/import/{id}`` shows it (defined by cashwrap)."""
    errors = await repository.job_errors(session, job.id, MAX_STORED_ERRORS)
    return {
        "id": job.id,
        "provider": job.provider,
        "name": job.name,
        "source_uri": job.source_uri,
        "transformed_uri": job.transformed_uri,
        "entities": list(job.entities),
        "full_import": job.full_import,
        "status": job.status,
        "created_at": clock.as_utc(job.created_at),
        "started_at": clock.as_utc(job.started_at) if job.started_at else None,
        "finished_at": clock.as_utc(job.finished_at) if job.finished_at else None,
        "counts": {
            "processed": job.records_processed,
            "imported": job.records_imported,
            "failed": job.records_failed,
            "locations_created": job.locations_created,
            "products_removed": job.products_removed,
        },
        "progress": {"bytes_total": job.bytes_total, "bytes_done": job.bytes_done},
        "errors": [
            {
                "entity": error.entity,
                "file": error.file,
                "line": error.line,
                "error_code": error.error_code,
                "message": error.message,
            }
            for error in errors
        ],
        "errors_truncated": job.records_failed > len(errors),
        "failure": (
            {"error_code": job.failure_code, "message": job.failure_message or ""}
            if job.failure_code
            else None
        ),
    }


def check_source_uri(uri: str, *, allow_local_files: bool, field: str) -> None:
    """Accept http(s) URLs, ``file://`` URIs and plain paths (when local files are allowed)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.netloc:
            raise InvalidInput(f"{field}: {uri!r} has no host", code="invalid_source_uri")
        return
    if scheme == "file" or scheme == "" or (len(scheme) == 1 and Path(uri).drive):
        if not allow_local_files:
            raise InvalidInput(
                f"{field}: this platform does not read local files; give an http(s) URL "
                "(CASHWRAP_IMPORT_ALLOW_LOCAL_FILES=true lets it read them)",
                code="local_files_disabled",
            )
        return
    raise InvalidInput(
        f"{field}: {uri!r} must be an http(s) URL, a file:// URI or a path",
        code="invalid_source_uri",
    )


async def _serialize_per_tenant(session: AsyncSession, tenant: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"cashwrap.import:{tenant}")))
        )
