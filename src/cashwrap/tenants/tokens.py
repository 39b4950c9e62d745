"""Access tokens: HS256-signed JWTs that name their tenant.

A token is checked without a database round trip; it carries everything an API needs to scope
its queries (the tenant) and to say who acted (the subject).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jwt

from cashwrap.core import clock
from cashwrap.core.errors import Unauthorized

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    tenant: str
    subject: str
    scopes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str | None


def issue(
    principal: Principal, *, key: str, issuer: str, ttl_seconds: int, scope: str | None
) -> IssuedToken:
    issued_at = int(clock.now().timestamp())
    claims = {
        "iss": issuer,
        "sub": principal.subject,
        "tenant": principal.tenant,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "scope": scope or "",
    }
    return IssuedToken(jwt.encode(claims, key, algorithm=ALGORITHM), ttl_seconds, scope)


# Tokens already verified, until they expire: every request of a client presents the same one,
# and checking its signature again each time is most of what authentication costs.
_VERIFIED: dict[tuple[str, str, str], tuple[Principal, float]] = {}
_VERIFIED_LIMIT = 4096


def verify(token: str, *, key: str, issuer: str) -> Principal:
    cached = _VERIFIED.get((token, key, issuer))
    if cached is not None and cached[1] > clock.now().timestamp():
        return cached[0]
    principal, expires_at = _decode(token, key=key, issuer=issuer)
    if len(_VERIFIED) >= _VERIFIED_LIMIT:
        _VERIFIED.clear()
    _VERIFIED[(token, key, issuer)] = (principal, expires_at)
    return principal


def _decode(token: str, *, key: str, issuer: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("The access token is not valid", code="invalid_token") from None
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not tenant:
        raise Unauthorized("The access token names no tenant", code="invalid_token")
    scopes = frozenset(str(claims.get("scope") or "").split())
    principal = Principal(tenant=tenant, subject=str(claims["sub"]), scopes=scopes)
    return principal, float(claims["exp"])
