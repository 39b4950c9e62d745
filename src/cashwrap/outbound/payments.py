"""The payment provider contract (b.5) as the platform calls it: authorize, capture, refund, revoke.

One interface, three implementations chosen by the payment method (:func:`payment_provider`):

- :class:`PaymentProviderClient` — the payment provider webhooks over HTTP (the configured URL:
  a real PSP adapter or ``cashwrap sandbox psp``), on the shared client of
  :mod:`cashwrap.outbound.http`;
- :class:`CashProvider` — cash needs no provider call; it answers locally, in the same shapes;
- :class:`ExternalRefunds` — the built-in placeholder adapter for the ``external`` refund method:
  it only records the refund (the external OMS executes it when the event stream tells it).

Every operation returns one of these outcomes and never raises for what the network or the
provider does (a programming error, such as a negative amount, raises ``ValueError``)::

    PaymentOutcome
    ├── Approved    the provider did it; ``transactions`` say how the amounts moved
    ├── Pending     an asynchronous provider accepted it; the result comes later through the
    │               Payment Provider Asynchronous API (correlation id = the idempotency key)
    ├── Declined    ``instrument_error`` (e.g. card declined) or ``fraud_error`` (the provider
    │               voided the instrument): ask for another payment
    ├── Rejected    the provider will not do this command (``failed_command``: more than is
    │               left to capture or refund, unknown instrument…; 401, bad configuration):
    │               repeating it will not help
    ├── Failed      it did not happen (``internal_error``, ``retry_error`` / ``rate_limit`` still
    │               answered after the retries, connection refused): nothing to undo
    └── Unknown     it may or may not have happened (timeout, connection lost, an answer that is
                    not the contract's): repeat later with the **same idempotency key** — the
                    provider answers a repeated key identically — or read the instrument

Retries: every request carries an idempotency key and the contract makes the provider answer a
repeated key identically, so repeating with the same key is always safe. The client repeats
``retry_error`` (503), ``rate_limit`` (429, after its ``retry_after`` when that is short), refused
connections and every unknown outcome, up to ``max_attempts``; it never repeats a decline, a
rejection or ``internal_error``. No call here may run inside a database transaction.

Wire shape (see ``docs/payment-provider.md``): amounts are decimal numbers in the currency's unit;
the platform's callers pass and receive integer minor units.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

import orjson

from cashwrap.core import clock, money
from cashwrap.core.errors import InvalidInput
from cashwrap.core.json_values import fitting_text
from cashwrap.outbound.http import OutboundHttp, OutboundResult

Operation = Literal["create_instrument", "capture", "refund", "revoke", "get_instrument"]
DECLINE_CODES = frozenset({"instrument_error", "fraud_error"})
# Outcomes of the transport after which the request may have reached the counterpart.
UNCERTAIN_OUTCOMES = frozenset(
    {"timeout", "disconnected", "connection_error", "invalid_json", "response_too_large"}
)
# Outcomes that prove nothing was sent.
NOT_SENT_OUTCOMES = frozenset({"refused", "dns_error"})


@dataclass(frozen=True)
class Transaction:
    """One movement of an instrument's amounts, in minor units.

    ``capture_amount`` is the signed change of what is left to capture, ``refund_amount`` the
    signed change of what can be refunded: an authorization of 10.00 is ``(+1000, 0)``; a capture
    of 4.00 is two transactions ``(-400, 0)`` and ``(0, +400)``; a refund ``(0, -400)``; a revoke
    ``(-600, 0)``.
    """

    transaction_id: str
    instrument_id: str
    reason: str | None
    capture_amount: int
    refund_amount: int
    currency: str
    correlation_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Instrument:
    """The provider's view of an instrument, when it sends one (cashwrap's ``instrument``)."""

    identifier: str
    status: str
    currency: str
    authorized: int
    captured: int
    refunded: int
    revoked: int
    capturable: int
    refundable: int


@dataclass(frozen=True)
class Approved:
    operation: Operation
    provider: str
    identifier: str
    transactions: tuple[Transaction, ...]
    instrument: Instrument | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Pending:
    operation: Operation
    provider: str
    identifier: str
    attempts: int = 1


@dataclass(frozen=True)
class Declined:
    operation: Operation
    provider: str
    identifier: str
    error_code: str
    message: str
    attempts: int = 1

    @property
    def instrument_voided(self) -> bool:
        """``fraud_error``: the provider voided the instrument; nothing more can be captured."""
        return self.error_code == "fraud_error"


@dataclass(frozen=True)
class Rejected:
    operation: Operation
    provider: str
    identifier: str
    error_code: str
    message: str
    status: int | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Failed:
    operation: Operation
    provider: str
    identifier: str
    error_code: str
    message: str
    retry_after: float | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Unknown:
    operation: Operation
    provider: str
    identifier: str
    reason: str
    message: str
    attempts: int = 1


PaymentOutcome = Approved | Pending | Declined | Rejected | Failed | Unknown


class Endpoint(Protocol):
    """What the client needs of a configured webhook (``url``, ``api_key``, ``timeout``)."""

    @property
    def url(self) -> str: ...
    @property
    def api_key(self) -> str | None: ...
    @property
    def timeout(self) -> int: ...


class PaymentProvider(Protocol):
    """The payment provider contract, whoever answers it."""

    name: str

    async def authorize(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        payment_method: str,
        account_id: str | None = None,
        token: str | None = None,
        payment_wallet: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentOutcome: ...

    async def capture(
        self, *, idempotency_key: str, identifier: str, amount: int, currency: str
    ) -> PaymentOutcome: ...

    async def refund(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        reason: str | None = None,
    ) -> PaymentOutcome: ...

    async def revoke(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int | None = None,
        currency: str | None = None,
        reason: str | None = None,
    ) -> PaymentOutcome: ...


class PaymentProviderClient:
    """The payment provider webhooks over HTTP, with the contract's retry rules.

    ``url`` is the provider's base URL (paths are appended: ``/financial_instruments``, …);
    ``api_key`` travels as ``Authorization: Bearer <api_key>``; ``timeout`` bounds each attempt.
    """

    def __init__(
        self,
        http: OutboundHttp,
        *,
        url: str,
        api_key: str | None,
        timeout: float,
        name: str = "payment_provider",
        max_attempts: int = 3,
        backoff: float = 0.05,
        max_retry_after: float = 2.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.name = name
        self._http = http
        self._base = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_retry_after = max_retry_after

    @classmethod
    def from_endpoint(
        cls, http: OutboundHttp, endpoint: Endpoint, **options: Any
    ) -> PaymentProviderClient:
        """A client for a configured webhook (``/v0/config/payment``'s provider)."""
        return cls(
            http, url=endpoint.url, api_key=endpoint.api_key, timeout=endpoint.timeout, **options
        )

    async def authorize(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        payment_method: str,
        account_id: str | None = None,
        token: str | None = None,
        payment_wallet: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentOutcome:
        """Create financial instrument ``identifier`` and reserve ``amount`` on it."""
        _check_key(idempotency_key)
        payload: dict[str, Any] = {
            "idempotency_key": idempotency_key,
            "identifier": identifier,
            "amount": _wire(amount, currency),
            "currency": currency,
            "payment_method": payment_method,
        }
        optional = {
            "account_id": account_id,
            "token": token,
            "payment_wallet": payment_wallet,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        payload |= {key: value for key, value in optional.items() if value is not None}
        return await self._call(
            "create_instrument", "POST", "/financial_instruments", payload, identifier, currency
        )

    async def capture(
        self, *, idempotency_key: str, identifier: str, amount: int, currency: str
    ) -> PaymentOutcome:
        """Capture ``amount`` of what is left of the authorization."""
        _check_key(idempotency_key)
        payload = {
            "idempotency_key": idempotency_key,
            "amount": _wire(amount, currency),
            "currency": currency,
        }
        return await self._call(
            "capture",
            "POST",
            _instrument_path(identifier, "capture"),
            payload,
            identifier,
            currency,
        )

    async def refund(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        reason: str | None = None,
    ) -> PaymentOutcome:
        """Refund ``amount`` of what was captured."""
        _check_key(idempotency_key)
        payload: dict[str, Any] = {
            "idempotency_key": idempotency_key,
            "amount": _wire(amount, currency),
            "currency": currency,
        }
        if reason is not None:
            payload["reason"] = reason
        return await self._call(
            "refund", "POST", _instrument_path(identifier, "refund"), payload, identifier, currency
        )

    async def revoke(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int | None = None,
        currency: str | None = None,
        reason: str | None = None,
    ) -> PaymentOutcome:
        """Release ``amount`` (default: all) of what is left to capture."""
        _check_key(idempotency_key)
        if (amount is None) != (currency is None):
            raise ValueError("amount and currency go together")
        payload: dict[str, Any] = {"idempotency_key": idempotency_key}
        if amount is not None and currency is not None:
            payload |= {"amount": _wire(amount, currency), "currency": currency}
        if reason is not None:
            payload["reason"] = reason
        return await self._call(
            "revoke", "POST", _instrument_path(identifier, "revoke"), payload, identifier, currency
        )

    async def read_instrument(self, identifier: str) -> PaymentOutcome:
        """The instrument and all its transactions (cashwrap's addition, to reconcile)."""
        return await self._call(
            "get_instrument", "GET", _instrument_path(identifier, None), None, identifier, None
        )

    async def _call(
        self,
        operation: Operation,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        identifier: str,
        currency: str | None,
    ) -> PaymentOutcome:
        async def attempt(attempts: int) -> tuple[PaymentOutcome, float | None]:
            result = await self._http.request(
                "payment_provider",
                method,
                self._base + path,
                json=payload,
                bearer=self._api_key,
                timeout_seconds=self._timeout,
            )
            return self._classify(operation, identifier, currency, result, attempts)

        return await retrying(attempt, max_attempts=self._max_attempts, backoff=self._backoff)

    def _classify(
        self,
        operation: Operation,
        identifier: str,
        currency: str | None,
        result: OutboundResult,
        attempts: int,
    ) -> tuple[PaymentOutcome, float | None]:
        """The outcome of one attempt, and how long to wait before repeating it (None: don't)."""
        of = _Outcomes(operation, self.name, identifier, attempts)
        if result.ok:
            try:
                return _approved(result.body, currency, of), None
            except (TypeError, ValueError, KeyError) as error:
                message = f"the answer is not the contract's: {error}"
                return of.unknown("malformed_answer", message), 0.0
        if result.status is not None:
            problem = read_problem(result)
            if problem.error_code in DECLINE_CODES:
                declined = Declined(
                    operation, self.name, identifier, problem.error_code, problem.message, attempts
                )
                return declined, None
        # Every operation carries its idempotency key: repeating an uncertain one is safe.
        verdict = contract_failure(result, max_retry_after=self._max_retry_after, uncertain=0.0)
        if verdict.kind == "unknown":
            return of.unknown(verdict.code, verdict.message), verdict.wait
        if verdict.kind == "failed":
            return of.failed(verdict.code, verdict.message, verdict.retry_after), verdict.wait
        return of.rejected(verdict.code, verdict.message, verdict.status), verdict.wait


@dataclass(frozen=True)
class _Outcomes:
    """Builds the outcomes of one attempt of one operation."""

    operation: Operation
    provider: str
    identifier: str
    attempts: int

    def unknown(self, reason: str, message: str) -> Unknown:
        return Unknown(
            self.operation, self.provider, self.identifier, reason, message, self.attempts
        )

    def failed(self, code: str, message: str, retry_after: float | None = None) -> Failed:
        return Failed(
            self.operation,
            self.provider,
            self.identifier,
            code,
            message,
            retry_after,
            self.attempts,
        )

    def rejected(self, code: str, message: str, status: int | None) -> Rejected:
        return Rejected(
            self.operation, self.provider, self.identifier, code, message, status, self.attempts
        )


class CashProvider:
    """Cash: no provider call. Answers like a provider so callers need no special case.

    It keeps no ledger: the platform's payment account is what stops capturing or refunding
    more than was paid. Transaction ids derive from the idempotency key, so a repeated call
    answers identically, as the contract asks of a provider.
    """

    name = "cash"

    async def authorize(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        payment_method: str = "cash",
        account_id: str | None = None,
        token: str | None = None,
        payment_wallet: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentOutcome:
        _check_amount(amount)
        return _local(
            self.name,
            "create_instrument",
            idempotency_key,
            identifier,
            currency,
            [("authorization", amount, 0)],
        )

    async def capture(
        self, *, idempotency_key: str, identifier: str, amount: int, currency: str
    ) -> PaymentOutcome:
        _check_amount(amount)
        return _local(
            self.name,
            "capture",
            idempotency_key,
            identifier,
            currency,
            [
                ("capture", -amount, 0),
                ("capture", 0, amount),
            ],
        )

    async def refund(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        reason: str | None = None,
    ) -> PaymentOutcome:
        _check_amount(amount)
        return _local(
            self.name, "refund", idempotency_key, identifier, currency, [("refund", 0, -amount)]
        )

    async def revoke(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int | None = None,
        currency: str | None = None,
        reason: str | None = None,
    ) -> PaymentOutcome:
        if amount is None or currency is None:
            raise ValueError("revoking cash needs the amount and currency to release")
        _check_amount(amount)
        return _local(
            self.name, "revoke", idempotency_key, identifier, currency, [("revoke", -amount, 0)]
        )


class ExternalRefunds:
    """The placeholder payment adapter for the ``external`` refund method (built in).

    A return of an order captured in the external OMS is refunded by that OMS. This adapter
    only answers the refund as done so the platform records it (with the return, in one
    transaction) and publishes it on the event stream, where the OMS picks it up. It makes no
    call and keeps no ledger: an unreferenced refund has no instrument to check against.
    Anything but a refund is :class:`Rejected` with ``failed_command``.
    """

    name = "external"

    async def authorize(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        payment_method: str = "external",
        account_id: str | None = None,
        token: str | None = None,
        payment_wallet: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentOutcome:
        return self._refunds_only("create_instrument", identifier)

    async def capture(
        self, *, idempotency_key: str, identifier: str, amount: int, currency: str
    ) -> PaymentOutcome:
        return self._refunds_only("capture", identifier)

    async def refund(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        reason: str | None = None,
    ) -> PaymentOutcome:
        _check_amount(amount)
        return _local(
            self.name, "refund", idempotency_key, identifier, currency, [("refund", 0, -amount)]
        )

    async def revoke(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int | None = None,
        currency: str | None = None,
        reason: str | None = None,
    ) -> PaymentOutcome:
        return self._refunds_only("revoke", identifier)

    def _refunds_only(self, operation: Operation, identifier: str) -> PaymentOutcome:
        return Rejected(
            operation=operation,
            provider=self.name,
            identifier=identifier,
            error_code="failed_command",
            message="the external refund adapter only records refunds for the external OMS",
        )


class _Unconfigured:
    """Stands for a provider the payment configuration does not name."""

    name = "unconfigured"

    async def authorize(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        payment_method: str,
        account_id: str | None = None,
        token: str | None = None,
        payment_wallet: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentOutcome:
        return self._no_provider("create_instrument", identifier)

    async def capture(
        self, *, idempotency_key: str, identifier: str, amount: int, currency: str
    ) -> PaymentOutcome:
        return self._no_provider("capture", identifier)

    async def refund(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int,
        currency: str,
        reason: str | None = None,
    ) -> PaymentOutcome:
        return self._no_provider("refund", identifier)

    async def revoke(
        self,
        *,
        idempotency_key: str,
        identifier: str,
        amount: int | None = None,
        currency: str | None = None,
        reason: str | None = None,
    ) -> PaymentOutcome:
        return self._no_provider("revoke", identifier)

    def _no_provider(self, operation: Operation, identifier: str) -> PaymentOutcome:
        return Rejected(
            operation=operation,
            provider=self.name,
            identifier=identifier,
            error_code="payment_provider_not_configured",
            message="no payment provider is configured (/v0/config/payment)",
        )


CASH = CashProvider()
EXTERNAL_REFUNDS = ExternalRefunds()
UNCONFIGURED = _Unconfigured()


def payment_provider(method: str, webhook: PaymentProviderClient | None) -> PaymentProvider:
    """Who answers for a payment or refund method.

    ``cash`` → :data:`CASH` (no call); ``external`` → :data:`EXTERNAL_REFUNDS` (records only);
    anything else (``credit_card``, ``gift_card``, ``original``'s method…) → the configured
    webhook, or a provider that answers :class:`Rejected` ``payment_provider_not_configured``.
    """
    if method == "cash":
        return CASH
    if method == "external":
        return EXTERNAL_REFUNDS
    return webhook if webhook is not None else UNCONFIGURED


# --- reading answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """The parts of a problem document a caller acts on; empty when the body is not one."""

    error_code: str | None
    message: str
    retry_after: float | None


_ERROR_CODE = re.compile(r'"error_code"\s*:\s*"([^"\\]{1,64})"')
_RETRY_AFTER = re.compile(r'"retry_after"\s*:\s*([0-9]+(?:\.[0-9]+)?)')
_MESSAGE = re.compile(r'"message"\s*:\s*("(?:[^"\\]|\\.){0,1024}")')


def read_problem(result: OutboundResult) -> Problem:
    """``error_code``, message and ``retry_after`` of a non-2xx answer.

    Reads the parsed body when the transport kept one, else the excerpt it kept of the body —
    whole when it parses, otherwise by pattern, since a long body is cut.
    """
    document: Any = result.body if isinstance(result.body, dict) else None
    text = result.excerpt or ""
    if document is None and text:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            document = None
    fallback = f"HTTP {result.status}" if result.status is not None else result.outcome
    if isinstance(document, dict):
        code = document.get("error_code")
        message = document.get("message") or document.get("detail") or fallback
        retry_after = document.get("retry_after")
        return Problem(
            error_code=code if isinstance(code, str) else None,
            message=str(message),
            retry_after=float(retry_after)
            if isinstance(retry_after, int | float) and retry_after >= 0
            else None,
        )
    code_match = _ERROR_CODE.search(text)
    retry_match = _RETRY_AFTER.search(text)
    message_match = _MESSAGE.search(text)
    message = orjson.loads(message_match.group(1)) if message_match else fallback
    return Problem(
        error_code=code_match.group(1) if code_match else None,
        message=message,
        retry_after=float(retry_match.group(1)) if retry_match else None,
    )


@dataclass(frozen=True)
class ContractFailure:
    """What a failed call to a provider's webhook means under the webhook contracts (payment
    provider, shipping provider), and how long to wait before repeating it (None: don't)."""

    kind: Literal["unknown", "failed", "rejected"]
    code: str
    message: str
    status: int | None = None
    retry_after: float | None = None
    wait: float | None = None


def contract_failure(
    result: OutboundResult, *, max_retry_after: float, uncertain: float | None
) -> ContractFailure:
    """The contracts' rules for a call that did not succeed. ``uncertain`` is the wait before
    repeating a call that may have happened (None when the operation is not safe to repeat)."""
    detail = result.detail or result.outcome
    if result.outcome in UNCERTAIN_OUTCOMES:
        return ContractFailure("unknown", result.outcome, detail, wait=uncertain)
    if result.outcome in NOT_SENT_OUTCOMES:
        return ContractFailure("failed", result.outcome, detail, wait=0.0)
    if result.status is None:  # invalid_url, and whatever else the transport may add
        return ContractFailure("rejected", result.outcome, detail)
    problem = read_problem(result)
    status, code, message = result.status, problem.error_code, problem.message
    if status == 429 or code == "rate_limit":
        wait = problem.retry_after or 0.0
        return ContractFailure(
            "failed", "rate_limit", message, status, problem.retry_after,
            wait if wait <= max_retry_after else None,
        )  # fmt: skip
    if code == "retry_error":
        wait = min(problem.retry_after or 0.0, max_retry_after)
        return ContractFailure("failed", code, message, status, problem.retry_after, wait)
    if code == "internal_error":
        return ContractFailure("failed", code, message, status)
    if 400 <= status < 500:
        return ContractFailure("rejected", code or f"http_{status}", message, status)
    # A 5xx without one of the contracts' codes (a gateway, a crash): it may have happened.
    return ContractFailure("unknown", f"http_{status}", message, status, wait=uncertain)


Outcome = TypeVar("Outcome")


async def retrying(
    attempt: Callable[[int], Awaitable[tuple[Outcome, float | None]]],
    *,
    max_attempts: int,
    backoff: float,
) -> Outcome:
    """Call ``attempt(n)`` until it says not to repeat (its wait is None) or ``max_attempts``
    is reached, waiting its wait but at least the exponential backoff between attempts."""
    attempts = 0
    while True:
        attempts += 1
        outcome, wait = await attempt(attempts)
        if wait is None or attempts >= max_attempts:
            return outcome
        await asyncio.sleep(max(wait, backoff * 2 ** (attempts - 1)))


def _approved(body: Any, currency: str | None, of: _Outcomes) -> PaymentOutcome:
    if not isinstance(body, dict) or not isinstance(body.get("transactions"), list):
        raise ValueError("no transactions list")
    instrument = _instrument(body.get("instrument"))
    currency = currency or (instrument.currency if instrument else None)
    transactions = tuple(
        _transaction(item, of.identifier, currency) for item in body["transactions"]
    )
    if not transactions and instrument is None:
        return Pending(of.operation, of.provider, of.identifier, of.attempts)
    return Approved(of.operation, of.provider, of.identifier, transactions, instrument, of.attempts)


def _transaction(item: Any, identifier: str, currency: str | None) -> Transaction:
    if not isinstance(item, dict):
        raise TypeError("a transaction is not an object")
    transaction_id = _kept_text(item["transaction_id"], "transaction_id", 128)
    if not transaction_id:
        raise ValueError("transaction_id is not a string")
    code = item.get("currency") or currency
    if not isinstance(code, str) or not money.is_currency(code):
        raise ValueError(f"currency {code!r} is not an ISO 4217 code")
    reason = _kept_text(item.get("reason"), "reason", 32)
    correlation_id = _kept_text(item.get("correlation_id"), "correlation_id", 256)
    instrument_id = fitting_text(str(item.get("instrument_id") or identifier), "instrument_id", 128)
    return Transaction(
        transaction_id=transaction_id,
        instrument_id=instrument_id,
        reason=reason,
        capture_amount=_minor(item.get("capture_amount", 0), code),
        refund_amount=_minor(item.get("refund_amount", 0), code),
        currency=code.upper(),
        correlation_id=correlation_id,
        created_at=_time(item.get("created_at")),
    )


def _kept_text(value: Any, name: str, limit: int) -> str | None:
    """A text of the answer the platform keeps (None when it is not a text): longer than its
    column, or holding a NUL or half a surrogate pair, makes the answer malformed."""
    return fitting_text(value, name, limit) if isinstance(value, str) else None


def _instrument(item: Any) -> Instrument | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        raise TypeError("instrument is not an object")
    currency = item["currency"]
    if not isinstance(currency, str) or not money.is_currency(currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    amounts = {
        name: _minor(item.get(f"{name}_amount", 0), currency)
        for name in (
            "authorized", "captured", "refunded", "revoked", "capturable", "refundable"
        )
    }  # fmt: skip
    return Instrument(
        identifier=str(item["identifier"]),
        status=str(item.get("status", "")),
        currency=currency.upper(),
        **amounts,
    )


def _minor(value: Any, currency: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"amount {value!r} is not a number")
    try:
        return money.to_minor(str(value), currency)
    except InvalidInput as error:
        raise ValueError(error.message) from None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return clock.as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _local(
    provider: str,
    operation: Operation,
    idempotency_key: str,
    identifier: str,
    currency: str,
    moves: list[tuple[str, int, int]],
) -> PaymentOutcome:
    _check_key(idempotency_key)
    if not money.is_currency(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency")
    transactions = tuple(
        Transaction(
            transaction_id=str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"cashwrap:{provider}:{idempotency_key}:{index}")
            ),
            instrument_id=identifier,
            reason=reason,
            capture_amount=capture_amount,
            refund_amount=refund_amount,
            currency=currency.upper(),
            correlation_id=idempotency_key,
        )
        for index, (reason, capture_amount, refund_amount) in enumerate(moves)
    )
    return Approved(operation, provider, identifier, transactions)


def _instrument_path(identifier: str, action: str | None) -> str:
    path = f"/financial_instruments/{quote(identifier, safe='')}"
    return f"{path}/{action}" if action else path


def _wire(amount: int, currency: str) -> float:
    _check_amount(amount)
    if not money.is_currency(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency")
    return money.to_wire(amount, currency)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive integer of minor units, not {amount!r}")


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > 256:
        raise ValueError("the idempotency key must be 1 to 256 characters")
