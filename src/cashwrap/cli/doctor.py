"""``cashwrap doctor``: the seed's pre-requisites for one tenant, in process, with their fixes."""

from __future__ import annotations

import asyncio

import typer

from cashwrap.cli.common import DatabaseOption, fail, prepare, print_json, settings
from cashwrap.core.uow import Database
from cashwrap.doctor import service
from cashwrap.doctor.schemas import DoctorReport
from cashwrap.outbound.http import OutboundHttp
from cashwrap.settings import Settings
from cashwrap.tenants import service as tenants

COLORS = {
    "pass": typer.colors.GREEN,
    "fail": typer.colors.RED,
    "warn": typer.colors.YELLOW,
    "skip": typer.colors.BRIGHT_BLACK,
}


def doctor(
    tenant: str = typer.Option(..., "--tenant", help="The tenant to examine."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Check that a tenant is ready for an external OMS; exit 1 if any check fails."""
    current = settings(database_url)
    prepare(current)
    report = asyncio.run(_examine(current, tenant))
    if report is None:
        fail(f"tenant {tenant!r} does not exist", code="tenant_not_found")
        return
    if as_json:
        print_json(report.model_dump())
    else:
        _render(report)
    if report.status == "fail":
        raise typer.Exit(1)


async def _examine(current: Settings, tenant: str) -> DoctorReport | None:
    database = Database(current.database_url, pool_size=2)
    try:
        async with database.sessions() as session:
            if not await tenants.tenant_exists(session, tenant):
                return None
        async with OutboundHttp(default_timeout=current.outbound_timeout_seconds) as http:
            return await service.run(database, tenant, http=http)
    finally:
        await database.dispose()


def _render(report: DoctorReport) -> None:
    width = max(len(check.id) for check in report.checks)
    for check in report.checks:
        typer.secho(f"{check.status.upper():<5}", fg=COLORS[check.status], nl=False)
        typer.echo(f" {check.id:<{width}}  {check.title}")
        typer.echo(f"      {check.detail}")
        if check.fix and check.status != "pass":
            typer.echo(f"      fix: {check.fix}")
    summary = ", ".join(f"{count} {status}" for status, count in report.summary.items() if count)
    typer.secho(f"\n{report.tenant}: {report.status} ({summary})", fg=COLORS[report.status])
