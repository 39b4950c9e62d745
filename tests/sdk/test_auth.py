"""``PlatformAuth`` against the platform's two token endpoints."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cashwrap.sdk import AuthenticationError, PlatformAuth
from cashwrap.tenants import service as tenants
from tests.conftest import Platform, TenantCredentials


def test_client_credentials_from_the_realm_endpoint(platform: Platform, tenant: TenantCredentials):
    auth = PlatformAuth.client_credentials(
        platform.url, tenant.tenant, tenant.client_id, tenant.client_secret
    )
    with httpx.Client(base_url=platform.url, auth=auth) as client:
        first = client.get("/v0/integration/whoami")
        second = client.get("/v0/integration/whoami")
    assert first.json() == {"tenant": tenant.tenant, "subject": tenant.client_id}
    assert second.status_code == 200
    assert auth.tokens_fetched == 1  # cached


def test_the_legacy_password_grant_from_v0_token(platform: Platform, tenant: TenantCredentials):
    database = platform.server.app.state.database  # type: ignore[attr-defined]

    async def create() -> str:
        async with database.transaction() as session:
            return await tenants.create_user(session, tenant.tenant, "associate-7")

    password = platform.server.call(create)
    auth = PlatformAuth.password(platform.url, "associate-7", password, tenant=tenant.tenant)

    async def whoami() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=platform.url, auth=auth) as client:
            answer: dict[str, str] = (await client.get("/v0/integration/whoami")).json()
            return answer

    assert asyncio.run(whoami())["tenant"] == tenant.tenant


def test_wrong_credentials_are_an_authentication_error(
    platform: Platform, tenant: TenantCredentials
):
    auth = PlatformAuth.client_credentials(platform.url, tenant.tenant, tenant.client_id, "wrong")
    with (
        httpx.Client(base_url=platform.url, auth=auth) as client,
        pytest.raises(AuthenticationError) as refused,
    ):
        client.get("/v0/integration/whoami")
    assert refused.value.status == 401
    assert refused.value.error_code == "invalid_client"
