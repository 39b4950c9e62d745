"""Shared fixtures: the platform served on loopback over a real database, tenants, clients.

Every test gets its own tenant, so tests never see each other's data even though they share one
platform and one database (the same isolation a token gives in production).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cashwrap.app import create_app
from cashwrap.settings import Settings
from cashwrap.tenants import service as tenants
from tests.support import databases
from tests.support.servers import ServerThread


@dataclass(frozen=True)
class TenantCredentials:
    tenant: str
    client_id: str
    client_secret: str


@dataclass
class Platform:
    server: ServerThread
    settings: Settings

    @property
    def url(self) -> str:
        return self.server.url

    def create_tenant(self, prefix: str = "t") -> TenantCredentials:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        database = self.server.app.state.database  # type: ignore[attr-defined]

        async def work() -> tenants.ClientCredentials:
            async with database.transaction() as session:
                return await tenants.create_tenant(session, name)

        created = self.server.call(work)
        return TenantCredentials(created.tenant, created.client_id, created.client_secret)

    def token(self, credentials: TenantCredentials) -> str:
        response = httpx.post(
            f"{self.url}/auth/realms/{credentials.tenant}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def client(self, credentials: TenantCredentials | None = None) -> httpx.Client:
        headers = {}
        if credentials is not None:
            headers["Authorization"] = f"Bearer {self.token(credentials)}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)


def platform_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "log_level": "WARNING",
        "run_migrations_on_start": False,
        # The tests import zips from their own folders, as an integrator's local platform does.
        "import_allow_local_files": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def platform_of_its_own(folder: Path, label: str, **overrides: object) -> Iterator[Platform]:
    """A platform on a fresh database of its own (``overrides``: its settings), for tests that
    disturb its database: close its connections, lock its tables."""
    with databases.fresh_database(folder, label) as url:
        settings = platform_settings(url, **overrides)
        server = ServerThread(create_app(settings), name=f"platform-{label}").start()
        try:
            yield Platform(server=server, settings=settings)
        finally:
            server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with databases.fresh_database(tmp_path_factory.mktemp("db"), "platform") as url:
        yield url


@pytest.fixture(scope="session")
def platform(database_url: str) -> Iterator[Platform]:
    settings = platform_settings(database_url)
    server = ServerThread(create_app(settings), name="platform").start()
    try:
        yield Platform(server=server, settings=settings)
    finally:
        server.stop()


@pytest.fixture
def tenant(platform: Platform) -> TenantCredentials:
    return platform.create_tenant()


@pytest.fixture
def api(platform: Platform, tenant: TenantCredentials) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as the test's own tenant."""
    with platform.client(tenant) as client:
        yield client


@pytest.fixture
def anonymous(platform: Platform) -> Iterator[httpx.Client]:
    with platform.client() as client:
        yield client


@pytest.fixture
def tmp_folder(tmp_path: Path) -> Path:
    return tmp_path
