"""``cashwrap events``: the event catalog and the state of a tenant's integrations."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.cli.common import DatabaseOption, fail, prepare, print_json, run_in_transaction
from cashwrap.cli.common import settings as load_settings
from cashwrap.events import catalog, integrations, monitoring

app = typer.Typer(help="The event stream: schemas and integrations.", no_args_is_help=True)


@app.command()
def schemas(name: str | None = typer.Argument(None, help="One event name (default: all).")) -> None:
    """Print the JSON Schema of every event payload (or of one)."""
    if name is None:
        print_json({model.name: catalog.json_schema(model) for model in catalog.PAYLOADS})
        return
    model = catalog.payload_model(name)
    if model is None:
        fail(f"no event named {name!r}; known: {', '.join(catalog.EVENT_NAMES)}", code="not_found")
        return
    print_json(catalog.json_schema(model))


@app.command("status")
def status(tenant: str, database_url: str | None = DatabaseOption) -> None:
    """Print every integration of a tenant with its deliveries per state and its lag."""
    current = load_settings(database_url)
    prepare(current)

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        shown = []
        for integration in await integrations.list_all(session, tenant):
            shown.append(await monitoring.stats(session, tenant, integration["id"]))
        return shown

    print_json(run_in_transaction(current, work))
