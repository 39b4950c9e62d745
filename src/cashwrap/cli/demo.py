"""``cashwrap demo``: a platform to try on a laptop, on SQLite, with a demo tenant."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.cli.common import prepare, run_in_transaction, settings
from cashwrap.cli.serve import serve
from cashwrap.tenants import service as tenants

DEMO_TENANT = "demo"


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port of the platform."),
    state_dir: Path = typer.Option(Path("var/demo"), help="Where the demo keeps its databases."),
) -> None:
    """Set up a demo tenant on SQLite and run the platform."""
    state_dir.mkdir(parents=True, exist_ok=True)
    current = settings(f"sqlite+aiosqlite:///{state_dir / 'platform.db'}")
    prepare(current)

    async def ensure_tenant(session: AsyncSession) -> tenants.ClientCredentials:
        if await tenants.tenant_exists(session, DEMO_TENANT):
            return await tenants.create_client(session, DEMO_TENANT)
        return await tenants.create_tenant(session, DEMO_TENANT)

    credentials = run_in_transaction(current, ensure_tenant)
    base_url = f"http://{host}:{port}"
    token_url = f"{base_url}/auth/realms/{DEMO_TENANT}/protocol/openid-connect/token"
    summary = {
        "platform": base_url,
        "api_docs": f"{base_url}/docs",
        "token_url": token_url,
        "tenant": credentials.tenant,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    (state_dir / "credentials.json").write_text(json.dumps(summary, indent=2))
    typer.echo(json.dumps(summary, indent=2))
    typer.echo(
        f"\nGet a token:\n  curl -s -X POST {token_url} "
        f"-d grant_type=client_credentials -u {credentials.client_id}:{credentials.client_secret}\n"
    )
    serve(host=host, port=port, database_url=current.database_url)
