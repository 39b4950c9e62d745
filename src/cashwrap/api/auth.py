"""Access tokens: the two token endpoints integrators already call, and the bearer check.

* ``POST /auth/realms/{tenant}/protocol/openid-connect/token`` — OAuth 2 client credentials,
  the client authenticating with form fields or HTTP Basic (both appear in NewStore connectors).
* ``POST /v0/token`` — the older password grant, with a JSON or a form body.

Errors are problem documents that also carry OAuth's ``error`` / ``error_description`` members,
so OAuth client libraries and problem-aware clients both understand them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cashwrap.core.errors import InvalidInput, Unauthorized
from cashwrap.settings import Settings
from cashwrap.tenants import service as tenants
from cashwrap.tenants import tokens
from cashwrap.tenants.tokens import Principal

router = APIRouter(tags=["auth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str | None = None


def require_principal(request: Request) -> Principal:
    """The caller's principal from ``Authorization: <token_type> <access_token>``."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized(
            "An access token is required: send 'Authorization: Bearer <access_token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "The Authorization header must be 'Bearer <access_token>'",
            code="invalid_token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings: Settings = request.app.state.settings
    try:
        return tokens.verify(
            token.strip(), key=request.app.state.signing_key, issuer=settings.issuer
        )
    except Unauthorized as error:
        error.headers["WWW-Authenticate"] = f'Bearer error="{error.error_code}"'
        raise


@router.post(
    "/auth/realms/{tenant}/protocol/openid-connect/token",
    response_model=TokenResponse,
    summary="Client-credentials token (OAuth 2), as documented by NewStore",
)
async def client_credentials_token(tenant: str, request: Request) -> JSONResponse:
    fields = await _read_fields(request)
    grant_type = fields.get("grant_type")
    if grant_type != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id, client_secret = _basic_credentials(request) or (
        fields.get("client_id"),
        fields.get("client_secret"),
    )
    if not client_id or not client_secret:
        raise _oauth_error(
            401, "invalid_client", "client_id and client_secret are required (form or Basic auth)"
        )
    database = request.app.state.database
    async with database.sessions() as session:
        try:
            principal = await tenants.authenticate_client(session, tenant, client_id, client_secret)
        except Unauthorized:
            raise _oauth_error(401, "invalid_client", "Invalid client credentials") from None
    return _token_response(request, principal, fields.get("scope"))


@router.post(
    "/v0/token",
    response_model=TokenResponse,
    summary="Password-grant token (legacy NewStore integrations)",
)
async def password_token(request: Request) -> JSONResponse:
    fields = await _read_fields(request)
    if fields.get("grant_type") != "password":
        raise _oauth_error(400, "unsupported_grant_type", "grant_type must be password")
    username, password = fields.get("username"), fields.get("password")
    if not username or not password:
        raise _oauth_error(400, "invalid_request", "username and password are required")
    tenant = fields.get("tenant") or request.headers.get("x-tenant")
    database = request.app.state.database
    async with database.sessions() as session:
        if tenant is None:
            tenant = await _tenant_from_host(session, request)
        try:
            principal = await tenants.authenticate_user(session, username, password, tenant=tenant)
        except Unauthorized:
            raise _oauth_error(401, "invalid_grant", "Invalid username or password") from None
    return _token_response(request, principal, fields.get("scope"))


@router.get(
    "/v0/integration/whoami",
    summary="Who the access token speaks for (defined by cashwrap)",
)
async def whoami(request: Request) -> dict[str, str]:
    principal = require_principal(request)
    return {"tenant": principal.tenant, "subject": principal.subject}


def _token_response(request: Request, principal: Principal, scope: str | None) -> JSONResponse:
    settings: Settings = request.app.state.settings
    issued = tokens.issue(
        principal,
        key=request.app.state.signing_key,
        issuer=settings.issuer,
        ttl_seconds=settings.token_ttl_seconds,
        scope=scope,
    )
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    }
    if scope:
        body["scope"] = scope
    return JSONResponse(body, headers=_NO_STORE)


async def _read_fields(request: Request) -> dict[str, str]:
    """Form or JSON body, whichever the client sent."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise InvalidInput("The body is not valid JSON", code="invalid_json") from None
        if not isinstance(data, dict):
            raise InvalidInput("The body must be a JSON object", code="invalid_request")
        return {key: str(value) for key, value in data.items() if value is not None}
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _oauth_error(401, "invalid_client", "Malformed HTTP Basic credentials") from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise _oauth_error(401, "invalid_client", "Malformed HTTP Basic credentials")
    # RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
    return unquote(client_id), unquote(secret)


async def _tenant_from_host(session: Any, request: Request) -> str | None:
    """NewStore serves each tenant at ``{tenant}.{stage}.newstore.net``; honour that shape."""
    host = request.headers.get("host", "").split(":")[0]
    label = host.split(".")[0] if host.count(".") >= 1 else ""
    if label and await tenants.tenant_exists(session, label):
        return label
    return None


def _oauth_error(status: int, error: str, description: str) -> Unauthorized | InvalidInput:
    extra = {"error": error, "error_description": description}
    if status == 401:
        return Unauthorized(description, code=error, extra=extra, headers=_NO_STORE)
    return InvalidInput(description, code=error, extra=extra, headers=_NO_STORE)
