"""Building import zips and driving the Import Data API, for every test that needs data."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

Member = Iterable[Mapping[str, Any] | str]


def zip_bytes(members: Mapping[str, Member]) -> bytes:
    """A zip whose members are JSON lines (a dict is dumped, a str is written as is)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, lines in members.items():
            text = "".join(
                (line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines
            )
            archive.writestr(name, text)
    return buffer.getvalue()


def write_zip(path: Path, members: Mapping[str, Member]) -> Path:
    path.write_bytes(zip_bytes(members))
    return path


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = api.get(f"/v0/d/import/{job_id}").json()
        if job["status"] in ("finished", "failed"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"import {job_id} still {job['status']} after {timeout} s: {job}")
        time.sleep(0.02)


def run_import(
    api: httpx.Client,
    source: Path | str,
    entities: list[str],
    *,
    full_import: bool = False,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Create, start and wait for an import job; the finished (or failed) job."""
    uri = source.resolve().as_uri() if isinstance(source, Path) else source
    created = api.post(
        "/v0/d/import",
        json={
            "provider": "tests",
            "source_uri": uri,
            "entities": entities,
            "full_import": full_import,
        },
    )
    assert created.status_code == 201, created.text
    started = api.post(f"/v0/d/import/{created.json()['id']}/start")
    assert started.status_code == 200, started.text
    return wait_for_job(api, created.json()["id"], timeout)


def stock(
    api: httpx.Client,
    folder: Path,
    levels: Iterable[tuple[str, str, int]],
    *,
    stores: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Import availabilities (and store mappings): creates the locations they name."""
    members: dict[str, Member] = {}
    mappings = list(stores)
    if mappings:
        members["store_mapping.jsonl"] = mappings
    members["availabilities.jsonl"] = [
        {"fulfillment_node_id": node, "product_id": product, "quantity": quantity}
        for node, product, quantity in levels
    ]
    path = write_zip(folder / f"stock-{time.monotonic_ns()}.zip", members)
    job = run_import(api, path, ["availabilities"])
    assert job["status"] == "finished", job
    assert job["counts"]["failed"] == 0, job["errors"]
    return job


def products(
    api: httpx.Client, folder: Path, records: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    path = write_zip(folder / f"products-{time.monotonic_ns()}.zip", {"products.jsonl": records})
    job = run_import(api, path, ["products"])
    assert job["status"] == "finished", job
    return job
