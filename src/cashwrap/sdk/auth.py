"""Access tokens for the platform's APIs, cached and renewed, as an ``httpx.Auth``.

Two grants, as NewStore documents them (CONTRACT 0.1):

* :meth:`PlatformAuth.client_credentials` — OAuth 2 client credentials at the tenant's realm,
  ``POST {base}/auth/realms/{tenant}/protocol/openid-connect/token`` (NewStore serves it at
  ``https://id.p.newstore.net/auth/realms/{tenant}/…``: pass ``token_url`` for that);
* :meth:`PlatformAuth.password` — the older ``POST {base}/v0/token`` password grant.

The token is fetched on first use and kept until shortly before it expires
(``expires_in`` minus a margin of 10 %, at most 60 s); then the next request fetches a new one.
A ``401`` on a request made with a cached token drops it, fetches a new one and sends the
request once more (the platform may have rotated its keys); a second ``401`` is returned as is.
Concurrent requests share one token fetch (a lock per flavour: threads for ``httpx.Client``,
tasks for ``httpx.AsyncClient``).

Token requests go through the same client as the API calls (its transport, proxies, timeouts).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from cashwrap.sdk.errors import AuthenticationError


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float


class PlatformAuth(httpx.Auth):
    """Bearer tokens for one tenant: give it to an ``httpx.Client`` or ``httpx.AsyncClient``."""

    def __init__(
        self,
        token_url: str,
        form: dict[str, str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._form = dict(form)
        self._clock = clock
        self._token: _Token | None = None
        self._sync_lock = threading.RLock()
        self._async_lock = asyncio.Lock()
        self.tokens_fetched = 0

    @classmethod
    def client_credentials(
        cls,
        base_url: str,
        tenant: str,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
    ) -> PlatformAuth:
        """OAuth 2 client credentials at ``{base_url}/auth/realms/{tenant}/…/token``."""
        url = token_url or (
            f"{base_url.rstrip('/')}/auth/realms/{tenant}/protocol/openid-connect/token"
        )
        return cls(
            url,
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )

    @classmethod
    def password(
        cls, base_url: str, username: str, password: str, *, tenant: str | None = None
    ) -> PlatformAuth:
        """The legacy ``POST {base_url}/v0/token`` password grant."""
        form = {"grant_type": "password", "username": username, "password": password}
        if tenant:
            form["tenant"] = tenant
        return cls(f"{base_url.rstrip('/')}/v0/token", form)

    def invalidate(self) -> None:
        """Forget the cached token: the next request fetches a new one."""
        self._token = None

    # --- the flows ----------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        with self._sync_lock:
            if not self._valid():
                answer = yield self._token_request()
                answer.read()
                self._store(answer)
            token = self._current()
        response = yield self._authorized(request, token)
        if response.status_code == 401:
            with self._sync_lock:
                if self._token is None or self._token.value == token:
                    answer = yield self._token_request()
                    answer.read()
                    self._store(answer)
                token = self._current()
            yield self._authorized(request, token)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._async_lock:
            if not self._valid():
                answer = yield self._token_request()
                await answer.aread()
                self._store(answer)
            token = self._current()
        response = yield self._authorized(request, token)
        if response.status_code == 401:
            async with self._async_lock:
                if self._token is None or self._token.value == token:
                    answer = yield self._token_request()
                    await answer.aread()
                    self._store(answer)
                token = self._current()
            yield self._authorized(request, token)

    # --- helpers ------------------------------------------------------------------------------

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._token.renew_at

    def _current(self) -> str:
        assert self._token is not None
        return self._token.value

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST", self.token_url, data=self._form, headers={"Accept": "application/json"}
        )

    @staticmethod
    def _authorized(request: httpx.Request, token: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def _store(self, response: httpx.Response) -> None:
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            problem = body if isinstance(body, dict) else {}
            code = problem.get("error_code") or problem.get("error")
            raise AuthenticationError(
                f"the token endpoint {self.token_url} answered {response.status_code}"
                + (f" ({code})" if code else ""),
                status=response.status_code,
                error_code=code,
                problem=problem,
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                f"the token endpoint {self.token_url} answered without an access_token",
                status=response.status_code,
            )
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        margin = min(60.0, lifetime / 10)
        self._token = _Token(token, self._clock() + lifetime - margin)
        self.tokens_fetched += 1
