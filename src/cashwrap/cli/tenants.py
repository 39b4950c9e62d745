"""``cashwrap tenant`` and ``cashwrap user``: who may call the platform."""

from __future__ import annotations

import typer

from cashwrap.cli.common import DatabaseOption, prepare, print_json, run_in_transaction, settings
from cashwrap.tenants import service

tenant_app = typer.Typer(help="Tenants and their API clients.", no_args_is_help=True)
user_app = typer.Typer(help="Users of the password grant (POST /v0/token).", no_args_is_help=True)


@tenant_app.command("create")
def create_tenant(name: str, database_url: str | None = DatabaseOption) -> None:
    """Create a tenant and print its first client's credentials (the secret is shown once)."""
    current = settings(database_url)
    prepare(current)
    credentials = run_in_transaction(current, lambda session: service.create_tenant(session, name))
    print_json(
        {
            "tenant": credentials.tenant,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
    )


@tenant_app.command("add-client")
def add_client(tenant: str, database_url: str | None = DatabaseOption) -> None:
    """Create another API client for a tenant."""
    current = settings(database_url)
    prepare(current)
    credentials = run_in_transaction(
        current, lambda session: service.create_client(session, tenant)
    )
    print_json(
        {
            "tenant": credentials.tenant,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
    )


@tenant_app.command("list")
def list_tenants(database_url: str | None = DatabaseOption) -> None:
    """List the tenants."""
    current = settings(database_url)
    prepare(current)
    print_json(run_in_transaction(current, service.list_tenants))


@user_app.command("create")
def create_user(tenant: str, username: str, database_url: str | None = DatabaseOption) -> None:
    """Create a user and print its generated password (shown once)."""
    current = settings(database_url)
    prepare(current)
    password = run_in_transaction(
        current, lambda session: service.create_user(session, tenant, username)
    )
    print_json({"tenant": tenant, "username": username, "password": password})
