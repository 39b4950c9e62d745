"""``cashwrap import FILE``: run an import job on a platform through its Import Data API.

The command does what an integrator's code does — create the job, start it, poll it — against
a running platform, and shows its progress (bytes read, records imported and refused) with a
progress bar. The platform reads the file itself: give a path it can read (the same host) or
an http(s) URL. A folder of ``*.jsonl`` files is zipped first, into the system's temporary
folder (the zip is removed once the job has finished).
"""

from __future__ import annotations

import json
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cashwrap.catalog.service.reader import ENTITY_OF_KIND, kind_of

POLL_SECONDS = 0.25


def import_file(
    file: str = typer.Argument(
        ..., help="The zip to import (a path or an http(s) URL), or a folder of .jsonl files."
    ),
    entity: list[str] = typer.Option(
        [],
        "--entity",
        "-e",
        help="products or availabilities (repeatable). Default: what the zip holds.",
    ),
    full: bool = typer.Option(False, "--full", help="Full import (products only)."),
    provider: str = typer.Option("cashwrap-cli", help="The job's provider field."),
    url: str = typer.Option(
        "http://127.0.0.1:8000", envvar="CASHWRAP_URL", help="The platform's base URL."
    ),
    tenant: str | None = typer.Option(None, envvar="CASHWRAP_TENANT", help="Tenant name."),
    client_id: str | None = typer.Option(None, envvar="CASHWRAP_CLIENT_ID"),
    client_secret: str | None = typer.Option(None, envvar="CASHWRAP_CLIENT_SECRET"),
    token: str | None = typer.Option(
        None, envvar="CASHWRAP_TOKEN", help="An access token (instead of client credentials)."
    ),
    wait: bool = typer.Option(True, help="Wait for the job and show its progress."),
    as_json: bool = typer.Option(False, "--json", help="Print the final job as JSON."),
) -> None:
    """Import products and availabilities from a zip of JSON-lines files."""
    console = Console(stderr=True)
    folder = Path(file).expanduser()
    packed = _zip_folder(folder) if folder.is_dir() else None
    try:
        source_uri, entities = _source(packed or file, entity)
        with httpx.Client(base_url=url.rstrip("/"), timeout=30.0) as client:
            client.headers["Authorization"] = (
                f"Bearer {token or _token(client, tenant, client_id, client_secret)}"
            )
            created = _call(
                client,
                "POST",
                "/v0/d/import",
                json={
                    "provider": provider,
                    "source_uri": source_uri,
                    "entities": entities,
                    "full_import": full,
                },
            )
            job = _call(client, "POST", f"/v0/d/import/{created['id']}/start")
            if wait:
                job = _follow(client, job, console)
    finally:
        if packed is not None and wait:
            Path(packed).unlink(missing_ok=True)  # the platform has read it
    _report(job, console, as_json=as_json)
    if job["status"] == "failed":
        raise typer.Exit(1)


def _zip_folder(folder: Path) -> str:
    """The folder's ``*.jsonl`` files in a zip of the system's temporary folder (its path)."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        _fail(f"the folder {folder} holds no .jsonl file")
    handle, name = tempfile.mkstemp(prefix=f"cashwrap-import-{folder.name}-", suffix=".zip")
    with open(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, arcname=path.name)
    return name


def _source(file: str, entities: list[str]) -> tuple[str, list[str]]:
    if file.startswith(("http://", "https://")):
        if not entities:
            _fail("give --entity for a URL (the zip is not read locally)")
        return file, _checked(entities)
    path = Path(file).expanduser().resolve()
    if not path.is_file():
        _fail(f"no file at {path}")
    if entities:
        return path.as_uri(), _checked(entities)
    try:
        with zipfile.ZipFile(path) as archive:
            kinds = {kind_of(name) for name in archive.namelist()}
    except zipfile.BadZipFile:
        _fail(f"{path} is not a zip")
    found = sorted({ENTITY_OF_KIND[kind] for kind in kinds if kind is not None})
    if not found:
        _fail("the zip holds no products*.jsonl nor availabilities*.jsonl file")
    return path.as_uri(), found


def _checked(entities: list[str]) -> list[str]:
    unknown = [name for name in entities if name not in ("products", "availabilities")]
    if unknown:
        _fail(f"unknown entity: {', '.join(unknown)} (products, availabilities)")
    return list(dict.fromkeys(entities))


def _token(
    client: httpx.Client, tenant: str | None, client_id: str | None, client_secret: str | None
) -> str:
    if not (tenant and client_id and client_secret):
        _fail(
            "give --tenant, --client-id and --client-secret "
            "(or CASHWRAP_TENANT, CASHWRAP_CLIENT_ID, CASHWRAP_CLIENT_SECRET), or --token"
        )
    body = _call(
        client,
        "POST",
        f"/auth/realms/{tenant}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    return str(body["access_token"])


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        _fail(f"cannot reach the platform at {client.base_url}: {error}")
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"message": response.text[:200]}
    if response.status_code >= 400:
        _fail(
            f"{method} {path}: {response.status_code} {body.get('message', '')}".strip(),
            code=str(body.get("error_code", "error")),
        )
    return body


def _follow(client: httpx.Client, job: dict[str, Any], console: Console) -> dict[str, Any]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"import {job['id'][:8]}", total=None, records="")
        while job["status"] in ("received", "processing"):
            time.sleep(POLL_SECONDS)
            job = _call(client, "GET", f"/v0/d/import/{job['id']}")
            counts = job["counts"]
            progress.update(
                task,
                total=job["progress"]["bytes_total"],
                completed=job["progress"]["bytes_done"],
                records=f"{counts['imported']:,} imported, {counts['failed']:,} refused",
            )
        if job["status"] == "finished" and job["progress"]["bytes_total"]:
            progress.update(task, completed=job["progress"]["bytes_total"])
    return job


def _report(job: dict[str, Any], console: Console, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(job, indent=2))
        return
    counts = job["counts"]
    style = "green" if job["status"] == "finished" else "red"
    console.print(
        f"[{style}]import {job['id']} {job['status']}[/]: {counts['imported']:,} imported, "
        f"{counts['failed']:,} refused, {counts['locations_created']} locations created, "
        f"{counts['products_removed']:,} products removed"
    )
    if job.get("failure"):
        console.print(f"[red]{job['failure']['error_code']}[/]: {job['failure']['message']}")
    for error in job["errors"][:20]:
        console.print(
            f"  {error['file']}:{error['line']} {error['error_code']}: {error['message']}"
        )
    if len(job["errors"]) > 20 or job["errors_truncated"]:
        console.print(f"  … {counts['failed'] - 20:,} more (GET /v0/d/import/{job['id']})")


def _fail(message: str, *, code: str = "error") -> Any:
    typer.secho(f"error ({code}): {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2 if code == "error" else 1)
