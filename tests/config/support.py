"""Helpers of the configuration tests: the reference's examples and the rejection check."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cashwrap.config import service

# Copies of files from the reference's examples/ folder (NewStore's published samples).
EXAMPLES = Path(__file__).parents[2] / "examples" / "config"
_CACHE: dict[str, Any] = {}


def example(name: str) -> Any:
    if name not in _CACHE:
        _CACHE[name] = json.loads((EXAMPLES / name).read_text())
    return copy.deepcopy(_CACHE[name])


def seed_fulfillment() -> dict[str, Any]:
    """The seed's fulfillment configuration document."""
    document: dict[str, Any] = example("fulfillment-config.legacy.request.json")
    return document


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    return body


def snapshot(api: httpx.Client, path: str) -> tuple[int, Any, str | None]:
    response = api.get(path)
    body = response.json()
    if response.status_code >= 400:
        body = body["error_code"]
    return response.status_code, body, response.headers.get("etag")


def assert_rejected_unchanged(
    api: httpx.Client,
    read_path: str,
    send: Callable[[], httpx.Response],
    status: int,
    code: str,
) -> dict[str, Any]:
    """``send`` is refused with ``status``/``code`` and the stored document is unchanged."""
    before = snapshot(api, read_path)
    problem = assert_problem(send(), status, code)
    assert snapshot(api, read_path) == before
    return problem


def read(platform: Any, function: str, *args: Any) -> Any:
    """Call ``cashwrap.config.service.<function>(session, *args)`` on the platform's database."""
    database = platform.server.app.state.database

    async def work() -> Any:
        async with database.sessions() as session:
            return await getattr(service, function)(session, *args)

    return platform.server.call(work)
