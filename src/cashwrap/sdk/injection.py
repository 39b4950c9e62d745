"""The order-injection client: ``POST /v0/d/fulfill_order`` with the contract's retry rules.

NewStore's documentation of the operation (CONTRACT c.1) asks the caller to:

* retry a ``500`` (``shipping_provider_communication_error``, ``grpc_unavailable``,
  ``rpc_timeout`` — the order may be partially created) **with the identical payload after a
  small delay**: the client serializes the order once and re-sends the same bytes, waiting
  ``delay`` seconds, doubled on each further failure up to ``max_delay``. ``502``, ``503`` and
  transport errors (connection refused or reset) are retried the same way: the operation is
  idempotent on ``external_id``, so a repeat can only return the first outcome;
* on ``429`` wait for ``Retry-After`` (seconds or an HTTP date; ``default_retry_after`` when
  absent, at most ``max_retry_after``), then repeat;
* on ``504`` (the platform goes on creating the order in the background) **repeat the call to
  collect the result**, after ``gateway_timeout_delay``; a read timeout on our side is the same
  situation and is handled the same way;
* never retry any other ``4xx``: it raises :class:`~cashwrap.sdk.errors.InjectionRejected` at
  once (``same_order_injection_with_different_data``: an order with this ``external_id``
  exists with other data). A ``401`` first renews the token once (see :mod:`.auth`).

Only ``200`` means the order exists. When the policy gives up (``max_attempts`` calls or the
``deadline``) the client raises :class:`~cashwrap.sdk.errors.InjectionFailed`: the order may or
may not exist, and sending the same payload again later is the way to find out.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import ValidationError

from cashwrap.sdk.auth import PlatformAuth
from cashwrap.sdk.errors import InjectionFailed, InjectionRejected
from cashwrap.sdk.models import InjectedOrderRequest, InjectedOrderResponse

PATH = "/v0/d/fulfill_order"
TRANSIENT = frozenset({500, 502, 503})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    delay: float = 0.5
    max_delay: float = 8.0
    gateway_timeout_delay: float = 1.0
    default_retry_after: float = 1.0
    max_retry_after: float = 60.0
    deadline: float | None = 300.0
    """Seconds from the first call after which no new attempt starts (None: no limit)."""


@dataclass(frozen=True)
class Attempt:
    """One call: its HTTP ``status`` (None for a transport error), the problem's
    ``error_code`` or the transport error's name, and how long the client waited after it."""

    number: int
    status: int | None
    error_code: str | None
    wait: float


@dataclass(frozen=True)
class InjectionResult:
    response: InjectedOrderResponse
    attempts: list[Attempt] = field(default_factory=list)


class OrderInjectionClient:
    """Injects orders into one tenant of a platform (async; one ``httpx.AsyncClient``).

    ::

        auth = PlatformAuth.client_credentials(url, tenant, client_id, client_secret)
        async with OrderInjectionClient(url, auth) as client:
            created = await client.inject(order)     # InjectedOrderRequest or a dict
            created.id, [item.id for item in created.items]
    """

    def __init__(
        self,
        base_url: str,
        auth: PlatformAuth,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._on_attempt = on_attempt
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )

    async def __aenter__(self) -> OrderInjectionClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def inject(
        self, order: InjectedOrderRequest | Mapping[str, Any]
    ) -> InjectedOrderResponse:
        """Inject one order; returns the platform's answer (see the module for the retries)."""
        return (await self.inject_detailed(order)).response

    async def inject_detailed(
        self, order: InjectedOrderRequest | Mapping[str, Any]
    ) -> InjectionResult:
        """As :meth:`inject`, with every attempt made."""
        request = (
            order
            if isinstance(order, InjectedOrderRequest)
            else InjectedOrderRequest.model_validate(order)
        )
        body = request.wire()
        policy = self.retry
        started = time.monotonic()
        attempts: list[Attempt] = []
        number = 0
        while True:
            number += 1
            status: int | None = None
            problem: dict[str, Any] = {}
            error_code: str | None
            try:
                response = await self._http.post(PATH, content=body)
            except httpx.TimeoutException as error:
                # Our read timed out: the platform may still be creating the order (as a 504).
                error_code = type(error).__name__
                wait = policy.gateway_timeout_delay
            except httpx.TransportError as error:
                error_code = type(error).__name__
                wait = self._backoff(number)
            else:
                status = response.status_code
                problem = _json(response)
                error_code = problem.get("error_code") if problem else None
                if status == 200:
                    try:
                        parsed = InjectedOrderResponse.model_validate(problem)
                    except ValidationError:
                        error_code = "invalid_response"
                        wait = self._backoff(number)
                    else:
                        attempts.append(Attempt(number, status, None, 0.0))
                        self._notify(attempts[-1])
                        return InjectionResult(parsed, attempts)
                elif status == 429:
                    wait = self._retry_after(response)
                elif status == 504 or status == 408:
                    wait = policy.gateway_timeout_delay
                elif status in TRANSIENT:
                    retry_after = response.headers.get("retry-after")
                    wait = self._retry_after(response) if retry_after else self._backoff(number)
                else:
                    attempts.append(Attempt(number, status, error_code, 0.0))
                    self._notify(attempts[-1])
                    raise InjectionRejected(
                        f"the platform refused order {request.external_id}: {status}"
                        + (f" {error_code}" if error_code else "")
                        + (f" — {problem.get('message')}" if problem.get("message") else ""),
                        status=status,
                        error_code=error_code,
                        problem=problem,
                    )
            elapsed = time.monotonic() - started
            out_of_time = policy.deadline is not None and elapsed + wait > policy.deadline
            if number >= policy.max_attempts or out_of_time:
                attempts.append(Attempt(number, status, error_code, 0.0))
                self._notify(attempts[-1])
                raise InjectionFailed(
                    f"order {request.external_id} not confirmed after {number} attempt(s); "
                    f"last: {status or 'no answer'}" + (f" {error_code}" if error_code else ""),
                    attempts=number,
                    status=status,
                    error_code=error_code,
                    problem=problem,
                )
            attempts.append(Attempt(number, status, error_code, wait))
            self._notify(attempts[-1])
            await self._sleep(wait)

    def _notify(self, attempt: Attempt) -> None:
        if self._on_attempt is not None:
            self._on_attempt(attempt)

    def _backoff(self, number: int) -> float:
        return float(min(self.retry.max_delay, self.retry.delay * 2 ** (number - 1)))

    def _retry_after(self, response: httpx.Response) -> float:
        return min(
            self.retry.max_retry_after,
            retry_after_seconds(
                response.headers.get("retry-after"), default=self.retry.default_retry_after
            ),
        )


def retry_after_seconds(value: str | None, *, default: float) -> float:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; ``default`` otherwise."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
