"""Sandboxes served on loopback for tests, each over a fresh database of its own.

``psp`` and ``carrier`` are one server per test session, reset before each test (business
state, idempotent answers, faults, calls and settings are forgotten), so a test starts from an
empty sandbox and dials only its own faults. On ``CASHWRAP_TEST_DATABASE=postgresql`` the
sandboxes run on PostgreSQL databases created for the run and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from cashwrap.sandbox.carrier.app import create_app as create_carrier
from cashwrap.sandbox.psp.app import create_app as create_psp
from tests.support import databases
from tests.support.servers import ServerThread

API_KEY = "test-sandbox-key-0123456789"


@contextmanager
def sandbox_database(folder: Path, label: str) -> Iterator[str]:
    """The URL of an empty database for one sandbox (tables are the sandbox's own to create)."""
    if databases.kind().startswith("postgres"):
        name = f"cashwrap_test_{label}_{uuid.uuid4().hex[:10]}"
        asyncio.run(databases.postgres_admin(f'CREATE DATABASE "{name}"'))
        base = databases.POSTGRES_SERVER.rsplit("/", 1)[0]
        try:
            yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        finally:
            asyncio.run(databases.postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        yield f"sqlite+aiosqlite:///{folder / f'{label}.db'}"


@dataclass
class RunningSandbox:
    """A sandbox on loopback and the admin calls tests make on it."""

    server: ServerThread
    api_key: str

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, *, timeout: float = 10.0, api_key: str | None = None) -> httpx.Client:
        key = self.api_key if api_key is None else api_key
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self.client() as client:
            return client.request(method, f"/_sandbox{path}", **kwargs)

    def dial(self, operation: str, **fault: Any) -> dict[str, Any]:
        response = self.admin("PUT", f"/faults/{operation}", json=fault)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def calls(self, operation: str | None = None) -> list[dict[str, Any]]:
        params = {"operation": operation} if operation else {}
        response = self.admin("GET", "/calls", params=params | {"limit": 1000})
        assert response.status_code == 200, response.text
        calls: list[dict[str, Any]] = response.json()["calls"]
        return calls

    def settings(self, **values: Any) -> dict[str, Any]:
        response = self.admin("PUT", "/settings", json=values)
        assert response.status_code == 200, response.text
        settings: dict[str, Any] = response.json()["settings"]
        return settings

    def reset(self) -> None:
        assert self.admin("POST", "/reset").status_code == 204


@contextmanager
def running(factory: Callable[..., ASGIApp], folder: Path, label: str) -> Iterator[RunningSandbox]:
    with sandbox_database(folder, label) as url:
        server = ServerThread(factory(database_url=url, api_key=API_KEY), name=label).start()
        try:
            yield RunningSandbox(server, API_KEY)
        finally:
            server.stop()


@pytest.fixture(scope="session")
def psp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running(create_psp, tmp_path_factory.mktemp("psp"), "psp") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def carrier_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running(create_carrier, tmp_path_factory.mktemp("carrier"), "carrier") as sandbox:
        yield sandbox


@pytest.fixture
def psp(psp_server: RunningSandbox) -> RunningSandbox:
    """The sandbox PSP, empty."""
    psp_server.reset()
    return psp_server


@pytest.fixture
def carrier(carrier_server: RunningSandbox) -> RunningSandbox:
    """The sandbox carrier, empty."""
    carrier_server.reset()
    return carrier_server
