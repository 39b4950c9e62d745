"""Dependencies every router uses: the database session and the caller's principal.

The session is opened per request and closed after it; a handler that writes commits
explicitly before it returns (a commit in the teardown of a yield dependency may run after the
client already has its answer).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.api.auth import require_principal
from cashwrap.core.uow import Database
from cashwrap.outbound.http import OutboundHttp
from cashwrap.settings import Settings
from cashwrap.tenants.tokens import Principal


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# Dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool,
# a thread hop per request for what is a dictionary lookup.


async def database_dependency(request: Request) -> Database:
    return get_database(request)


async def settings_dependency(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def outbound_http_dependency(request: Request) -> OutboundHttp:
    client: OutboundHttp = request.app.state.outbound_http
    return client


async def principal_dependency(request: Request) -> Principal:
    return require_principal(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]
CurrentPrincipal = Annotated[Principal, Depends(principal_dependency)]
AppSettings = Annotated[Settings, Depends(settings_dependency)]
DatabaseDep = Annotated[Database, Depends(database_dependency)]
OutboundHttpDep = Annotated[OutboundHttp, Depends(outbound_http_dependency)]
