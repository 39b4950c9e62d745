"""The Import Data API (``/v0/d/import``) and catalog reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict

from cashwrap.api.deps import AppSettings, CurrentPrincipal, DbSession
from cashwrap.catalog import service
from cashwrap.catalog.schemas import (
    ImportJobCreate,
    ImportJobList,
    ImportJobResponse,
    ImportJobStart,
)
from cashwrap.catalog.service import ImportRunner, RunnerSettings
from cashwrap.catalog.states import PROCESSING

router = APIRouter(tags=["imports"])


class ImportJobStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["failed"]


@router.post(
    "/v0/d/import",
    status_code=201,
    response_model=ImportJobResponse,
    summary="Create an import job (Import Data API)",
)
async def create_import(
    body: ImportJobCreate,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
) -> dict[str, Any]:
    job = await service.create_job(
        session,
        principal.tenant,
        provider=body.provider,
        source_uri=body.source_uri,
        entities=body.entities,
        full_import=body.full_import,
        name=body.name,
        allow_local_files=settings.import_allow_local_files,
    )
    described = await service.describe(session, job)
    await session.commit()
    response.headers["Location"] = f"/v0/d/import/{job.id}"
    return described


@router.post(
    "/v0/d/import/{import_id}/start",
    response_model=ImportJobResponse,
    summary="Start an import job; it runs in the background",
)
async def start_import(
    import_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    body: ImportJobStart | None = None,
) -> dict[str, Any]:
    runner: ImportRunner = request.app.state.import_runner
    job = await service.start_job(
        session,
        principal.tenant,
        import_id,
        owner=runner.owner,
        transformed_uri=body.transformed_uri if body else None,
        allow_local_files=settings.import_allow_local_files,
    )
    described = await service.describe(session, job)
    await session.commit()
    if job.status == PROCESSING:
        runner.launch(job.id)
    return described


@router.get(
    "/v0/d/import/{import_id}",
    response_model=ImportJobResponse,
    summary="An import job: status, counts, progress, per-record errors",
)
async def get_import(import_id: str, principal: CurrentPrincipal, session: DbSession) -> Any:
    job = await service.get_job(session, principal.tenant, import_id)
    return await service.describe(session, job)


@router.get("/v0/d/import", response_model=ImportJobList, summary="The latest import jobs")
async def list_imports(principal: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    jobs = await service.list_jobs(session, principal.tenant)
    return {"items": [await service.describe(session, job) for job in jobs]}


@router.patch(
    "/v0/d/import/{import_id}",
    response_model=ImportJobResponse,
    summary="Set an import job to failed",
)
async def fail_import(
    import_id: str, body: ImportJobStatusUpdate, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    job = await service.set_failed(session, principal.tenant, import_id)
    described = await service.describe(session, job)
    await session.commit()
    return described


@router.get(
    "/v0/catalog/products/{product_id}",
    tags=["catalog"],
    summary="A product: its content per shop and locale, its prices per pricebook",
)
async def get_product(
    product_id: str, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    return await service.get_product(session, principal.tenant, product_id)


@asynccontextmanager
async def import_runner_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan part that runs import jobs at ``app.state.import_runner``."""
    settings = app.state.settings
    runner = ImportRunner(
        app.state.database,
        app.state.outbound_http,
        RunnerSettings(
            batch_size=settings.import_batch_size,
            heartbeat_seconds=settings.import_heartbeat_seconds,
            stale_after_seconds=settings.import_stale_after_seconds,
        ),
    )
    app.state.import_runner = runner
    async with runner:
        yield
