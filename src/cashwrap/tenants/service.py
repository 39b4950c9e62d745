"""Creating tenants, clients and users, and checking their credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from cashwrap.core.ids import new_id, new_secret
from cashwrap.core.passwords import hash_secret, verify_secret
from cashwrap.tenants.models import ApiClient, PlatformSecret, Tenant, User
from cashwrap.tenants.tokens import Principal

TENANT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
SIGNING_KEY = "token_signing_key"


@dataclass(frozen=True)
class ClientCredentials:
    tenant: str
    client_id: str
    client_secret: str


async def create_tenant(session: AsyncSession, name: str) -> ClientCredentials:
    """Create a tenant and its first API client; the secret is shown once, here."""
    if not TENANT_NAME.match(name):
        raise InvalidInput(
            "tenant names are 1-64 lowercase letters, digits and inner hyphens",
            code="invalid_tenant_name",
        )
    if await session.get(Tenant, name) is not None:
        raise Conflict(f"tenant {name!r} already exists", code="tenant_exists")
    session.add(Tenant(name=name, created_at=clock.now()))
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"tenant {name!r} already exists", code="tenant_exists") from None
    return await create_client(session, name)


async def create_client(session: AsyncSession, tenant: str) -> ClientCredentials:
    await _require_tenant(session, tenant)
    client_id = f"{tenant}-{new_secret(9)}"
    secret = new_secret()
    session.add(
        ApiClient(
            client_id=client_id,
            tenant=tenant,
            secret_hash=hash_secret(secret),
            created_at=clock.now(),
        )
    )
    await session.flush()
    return ClientCredentials(tenant=tenant, client_id=client_id, client_secret=secret)


async def create_user(session: AsyncSession, tenant: str, username: str) -> str:
    """Create a password-grant user and return its generated password (shown once)."""
    await _require_tenant(session, tenant)
    if not 1 <= len(username) <= 128:
        raise InvalidInput("usernames are 1-128 characters", code="invalid_username")
    existing = await session.scalar(
        select(User.id).where(User.tenant == tenant, User.username == username)
    )
    if existing is not None:
        raise Conflict(f"user {username!r} already exists in {tenant!r}", code="user_exists")
    password = new_secret(18)
    session.add(
        User(
            id=new_id(),
            tenant=tenant,
            username=username,
            password_hash=hash_secret(password),
            created_at=clock.now(),
        )
    )
    await session.flush()
    return password


async def list_tenants(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Tenant.name).order_by(Tenant.name)))


async def tenant_exists(session: AsyncSession, name: str) -> bool:
    return await session.get(Tenant, name) is not None


async def authenticate_client(
    session: AsyncSession, tenant: str, client_id: str, client_secret: str
) -> Principal:
    client = await session.get(ApiClient, client_id)
    if (
        client is None
        or client.tenant != tenant
        or not verify_secret(client_secret, client.secret_hash)
    ):
        raise Unauthorized("Invalid client credentials", code="invalid_client")
    return Principal(tenant=tenant, subject=client_id)


async def authenticate_user(
    session: AsyncSession, username: str, password: str, *, tenant: str | None
) -> Principal:
    """Check a password-grant login.

    The legacy token endpoint has no tenant in its path: NewStore takes it from the host name.
    We take it from the caller when given, else from the one tenant that has this username.
    """
    query = select(User).where(User.username == username)
    if tenant is not None:
        query = query.where(User.tenant == tenant)
    users = list(await session.scalars(query.limit(2)))
    if len(users) > 1:
        raise InvalidInput(
            f"username {username!r} exists in several tenants: name the tenant",
            code="tenant_required",
        )
    if not users or not verify_secret(password, users[0].password_hash):
        raise Unauthorized("Invalid username or password", code="invalid_grant")
    return Principal(tenant=users[0].tenant, subject=users[0].username)


async def signing_key(session: AsyncSession) -> str:
    """The token signing key kept in the database, created on first use.

    Every process of one deployment reads the same row, so a token issued by one API process is
    accepted by all of them.
    """
    stored = await session.get(PlatformSecret, SIGNING_KEY)
    if stored is not None:
        return stored.value
    session.add(PlatformSecret(name=SIGNING_KEY, value=new_secret(48), created_at=clock.now()))
    try:
        await session.flush()
    except IntegrityError:
        # Another process created it first; use theirs.
        await session.rollback()
        stored = await session.get(PlatformSecret, SIGNING_KEY)
        assert stored is not None
        return stored.value
    created = await session.get(PlatformSecret, SIGNING_KEY)
    assert created is not None
    return created.value


async def _require_tenant(session: AsyncSession, tenant: str) -> None:
    if await session.get(Tenant, tenant) is None:
        raise NotFound(f"tenant {tenant!r} does not exist", code="tenant_not_found")
