"""Liveness, readiness (database reachable, schema current) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from cashwrap import migrate
from cashwrap.api.problems import problem_response

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready", summary="The database is reachable and its schema is current")
async def ready(request: Request) -> Any:
    database = request.app.state.database
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            applied = await migrate.applied_revisions(connection)
    except Exception as error:  # noqa: BLE001 - any failure to reach the database means "not ready"
        return problem_response(
            status=503,
            error_code="database_unavailable",
            message=f"The database cannot be reached: {type(error).__name__}",
            instance="/health/ready",
        )
    expected: frozenset[str] = request.app.state.schema_heads
    if applied != expected:
        return problem_response(
            status=503,
            error_code="schema_not_current",
            message="The database schema is not current; run `cashwrap db upgrade`",
            instance="/health/ready",
            extra={"applied": sorted(applied), "expected": sorted(expected)},
        )
    return JSONResponse(
        {"status": "ready", "database": "ok", "schema": "current", "revisions": sorted(applied)}
    )


@router.get("/metrics", summary="Prometheus metrics of this process", include_in_schema=True)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
