"""The ASGI application: routers, middleware, and what lives as long as the process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

import cashwrap
from cashwrap import migrate
from cashwrap.api import openapi, problems
from cashwrap.api.middleware import RequestContextMiddleware
from cashwrap.api.routes import ROUTERS
from cashwrap.api.text_guard import TextGuardMiddleware
from cashwrap.catalog.router import import_runner_lifespan
from cashwrap.core.uow import Database
from cashwrap.events.dispatcher import dispatcher_lifespan
from cashwrap.fulfillment.router import handover_confirmations_lifespan
from cashwrap.outbound import http as outbound_http
from cashwrap.settings import Settings, get_settings
from cashwrap.tenants import service as tenants

logger = logging.getLogger("cashwrap")

# Long-lived parts started after the database and stopped before it, in this order
# (HTTP clients, the event dispatcher, …). Each receives the app and may read app.state.
LifespanPart = Callable[[FastAPI], AbstractAsyncContextManager[None]]
LIFESPAN_PARTS: list[LifespanPart] = [
    outbound_http.lifespan,  # app.state.outbound_http: the one shared outbound HTTP client
    import_runner_lifespan,  # app.state.import_runner: import jobs, resumed after a crash
    dispatcher_lifespan,  # app.state.dispatcher: delivers the event stream (dispatcher_enabled)
    handover_confirmations_lifespan,  # asks the carrier about booked parcels (fulfillment)
]


def create_app(
    settings: Settings | None = None, *, serving_parts: Sequence[LifespanPart] = ()
) -> FastAPI:
    """The platform's app. ``serving_parts``: lifespan parts for a serving process only,
    started after all others (``cashwrap serve`` passes its garbage collection tuning)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout_seconds,
            statement_timeout=settings.database_statement_timeout_seconds or None,
        )
        app.state.settings = settings
        app.state.database = database
        app.state.schema_heads = migrate.head_revisions()
        async with database.transaction() as session:
            app.state.signing_key = settings.secret_key or await tenants.signing_key(session)
        async with AsyncExitStack() as stack:
            for part in (*LIFESPAN_PARTS, *serving_parts):
                await stack.enter_async_context(part(app))
            logger.info("cashwrap started", extra={"database": _redacted(settings.database_url)})
            yield
        await database.dispose()

    app = FastAPI(
        title="cashwrap",
        version=cashwrap.__version__,
        summary="A store platform that keeps the contract with an external OMS.",
        lifespan=lifespan,
    )
    problems.install(app)
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # The last added runs first: the request id is set before the text guard may answer.
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


def _redacted(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}://{rest}"
