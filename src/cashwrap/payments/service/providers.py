"""Taking a payment before its account exists: authorize tenders, capture them, undo them.

These functions only talk to the payment providers (``cashwrap.outbound.payments``); they
never touch the database and must be called with no transaction open. The checkout calls them,
then writes the order and the account (:func:`~.accounts.open_account`) in one transaction.

Provider idempotency keys derive from the instrument id (``<account id>.<n>``) and the
operation, so a checkout repeated after a crash or an unknown outcome asks again with the same
keys, and the provider answers what it answered the first time instead of charging twice.

Outcomes: every approval is checked against the amount asked (a provider that approves another
amount is refused and undone). A decline, a rejection or a failure undoes what was approved
before it (revokes authorizations, refunds captures) and raises :class:`PaymentNotTaken`. An
unknown or pending outcome raises too, **without** undoing anything: the money may have moved,
so the caller keeps its state and repeats later with the same keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.config.schemas import PaymentProviderWebhook
from cashwrap.core.errors import DomainError
from cashwrap.outbound import payments as outbound
from cashwrap.outbound.http import OutboundHttp

logger = logging.getLogger("cashwrap.payments")

RefusalKind = Literal["declined", "rejected", "failed", "unknown"]


class PaymentNotTaken(DomainError):
    """The payment provider did not take the payment (or its answer is not known yet).

    ==========================  ======  ==================================================
    error_code                  status  meaning
    ==========================  ======  ==================================================
    ``payment_declined``        402     declined by the issuer: ask for another payment
    ``payment_rejected``        402     the provider refuses the command
    ``payment_provider_not_configured``  412  no provider for this method
    ``payment_provider_unavailable``     503  nothing happened: try again
    ``payment_outcome_unknown`` 503     the money may have moved: repeat with the same
                                        idempotency key
    ==========================  ======  ==================================================

    Build one with :func:`not_taken`.
    """

    status = 402
    code = "payment_declined"
    title = "Payment Required"

    def __init__(self, refusal: Refusal, code: str, *, moved: bool = False) -> None:
        super().__init__(
            refusal.describe(),
            code=code,
            extra={
                "payment": {
                    "operation": refusal.operation,
                    "provider": refusal.provider,
                    "instrument_id": refusal.instrument_id,
                    "provider_error_code": refusal.error_code,
                }
            },
            headers={"Retry-After": "1"} if refusal.kind in ("failed", "unknown") else None,
        )
        self.refusal = refusal
        self.moved = moved
        """True when something was approved before the refusal (and was then given back)."""


class PaymentProviderMissing(PaymentNotTaken):
    status = 412
    title = "Precondition Failed"


class PaymentProviderUnavailable(PaymentNotTaken):
    status = 503
    title = "Service Unavailable"


def not_taken(refusal: Refusal, *, moved: bool = False) -> PaymentNotTaken:
    """The error a refusal leaves the API as (see :class:`PaymentNotTaken`)."""
    if refusal.error_code == "payment_provider_not_configured":
        return PaymentProviderMissing(refusal, refusal.error_code, moved=moved)
    if refusal.kind == "declined":
        return PaymentNotTaken(refusal, "payment_declined", moved=moved)
    if refusal.kind == "rejected":
        return PaymentNotTaken(refusal, "payment_rejected", moved=moved)
    if refusal.kind == "failed":
        return PaymentProviderUnavailable(refusal, "payment_provider_unavailable", moved=moved)
    return PaymentProviderUnavailable(refusal, "payment_outcome_unknown", moved=True)


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    operation: str
    provider: str
    instrument_id: str
    error_code: str
    message: str

    def describe(self) -> str:
        what = {
            "declined": "was declined",
            "rejected": "was refused",
            "failed": "could not be done",
            "unknown": "has an unknown outcome (repeat with the same idempotency key)",
        }[self.kind]
        return f"{self.operation} of {self.instrument_id} at {self.provider} {what}: {self.message}"


@dataclass(frozen=True)
class Tender:
    """One payment the customer makes, in minor units of ``currency``."""

    method: str
    amount: int
    currency: str
    token: str | None = None
    payment_wallet: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Approval:
    """What a provider approved on one instrument: an authorization or a capture."""

    instrument_id: str
    method: str
    wallet: str | None
    provider: str
    amount: int
    currency: str
    correlation_id: str
    transactions: tuple[outbound.Transaction, ...]


class Providers:
    """Who answers each payment method for one tenant (cash, the configured provider…)."""

    def __init__(self, http: OutboundHttp, webhook: PaymentProviderWebhook | None) -> None:
        self._client = (
            outbound.PaymentProviderClient.from_endpoint(http, webhook) if webhook else None
        )

    def for_method(self, method: str) -> outbound.PaymentProvider:
        return outbound.payment_provider(method, self._client)


async def providers(session: AsyncSession, tenant: str, http: OutboundHttp) -> Providers:
    """The tenant's providers, from the payment configuration (read in the caller's session)."""
    payment_config = await config.payment_config(session, tenant)
    return Providers(http, payment_config.provider)


def instrument_id(account_id: str, position: int) -> str:
    return f"{account_id}.{position + 1}"


async def authorize(
    providers: Providers, *, account_id: str, tenders: Sequence[Tender]
) -> list[Approval]:
    """Authorize every tender in turn; all approvals, or :class:`PaymentNotTaken` (after
    revoking the approvals made, unless the outcome is unknown)."""
    approvals: list[Approval] = []
    for position, tender in enumerate(tenders):
        identifier = instrument_id(account_id, position)
        provider = providers.for_method(tender.method)
        key = f"{identifier}:authorize"
        outcome = await provider.authorize(
            idempotency_key=key,
            identifier=identifier,
            amount=tender.amount,
            currency=tender.currency,
            payment_method=tender.method,
            account_id=account_id,
            token=tender.token,
            payment_wallet=tender.payment_wallet,
            metadata=tender.metadata,
        )
        approval, refusal = _approval(
            outcome, tender, identifier, key, field="capture_amount", operation="authorize"
        )
        if refusal is not None:
            taken = approvals + ([approval] if approval else [])
            if refusal.kind != "unknown":
                await undo(providers, taken, [])
            raise not_taken(refusal, moved=bool(taken))
        assert approval is not None
        approvals.append(approval)
    return approvals


async def capture(providers: Providers, authorizations: Sequence[Approval]) -> list[Approval]:
    """Capture every authorization in full (pre-capture, or a hand-over at the till); all
    captures, or :class:`PaymentNotTaken` after undoing everything (unless unknown)."""
    captures: list[Approval] = []
    for authorization in authorizations:
        provider = providers.for_method(authorization.method)
        key = f"{authorization.instrument_id}:capture"
        outcome = await provider.capture(
            idempotency_key=key,
            identifier=authorization.instrument_id,
            amount=authorization.amount,
            currency=authorization.currency,
        )
        tender = Tender(authorization.method, authorization.amount, authorization.currency)
        approval, refusal = _approval(
            outcome,
            tender,
            authorization.instrument_id,
            key,
            field="refund_amount",
            operation="capture",
            wallet=authorization.wallet,
        )
        if refusal is not None:
            if refusal.kind != "unknown":
                await undo(providers, authorizations, captures + ([approval] if approval else []))
            raise not_taken(refusal, moved=True)
        assert approval is not None
        captures.append(approval)
    return captures


async def undo(
    providers: Providers, authorizations: Sequence[Approval], captures: Sequence[Approval]
) -> list[Refusal]:
    """Give back what a checkout took that will not become an order: refund the captures,
    revoke the authorizations not captured. Best effort, never raises; returns what failed
    (logged, for an operator: the money may still be held)."""
    captured = {capture.instrument_id for capture in captures}
    failures: list[Refusal] = []
    for capture_ in captures:
        outcome = await providers.for_method(capture_.method).refund(
            idempotency_key=f"{capture_.instrument_id}:undo-refund",
            identifier=capture_.instrument_id,
            amount=capture_.amount,
            currency=capture_.currency,
            reason="checkout_abandoned",
        )
        failures += _failure(outcome, capture_, "refund")
    for authorization in authorizations:
        if authorization.instrument_id in captured:
            continue
        outcome = await providers.for_method(authorization.method).revoke(
            idempotency_key=f"{authorization.instrument_id}:undo-revoke",
            identifier=authorization.instrument_id,
            amount=authorization.amount,
            currency=authorization.currency,
            reason="checkout_abandoned",
        )
        failures += _failure(outcome, authorization, "revoke")
    for failure in failures:
        logger.error(
            "a payment taken for an abandoned checkout could not be given back",
            extra={"refusal": failure.describe()},
        )
    return failures


def refusal_of(
    outcome: outbound.PaymentOutcome, operation: str, instrument_id: str
) -> Refusal | None:
    """The refusal an outcome stands for, or None when it is an approval."""
    match outcome:
        case outbound.Approved():
            return None
        case outbound.Declined(provider=provider, error_code=code, message=message):
            return Refusal("declined", operation, provider, instrument_id, code, message)
        case outbound.Rejected(provider=provider, error_code=code, message=message):
            return Refusal("rejected", operation, provider, instrument_id, code, message)
        case outbound.Failed(provider=provider, error_code=code, message=message):
            return Refusal("failed", operation, provider, instrument_id, code, message)
        case outbound.Pending(provider=provider):
            return Refusal(
                "unknown",
                operation,
                provider,
                instrument_id,
                "pending",
                "the provider answers asynchronously; the result is not known yet",
            )
        case outbound.Unknown(provider=provider, reason=reason, message=message):
            return Refusal("unknown", operation, provider, instrument_id, reason, message)
    raise AssertionError(f"unexpected outcome {outcome!r}")


def _approval(
    outcome: outbound.PaymentOutcome,
    tender: Tender,
    identifier: str,
    key: str,
    *,
    field: str,
    operation: str,
    wallet: str | None = None,
) -> tuple[Approval | None, Refusal | None]:
    refusal = refusal_of(outcome, operation, identifier)
    if refusal is not None:
        return None, refusal
    assert isinstance(outcome, outbound.Approved)
    approval = Approval(
        instrument_id=identifier,
        method=tender.method,
        wallet=tender.payment_wallet or wallet,
        provider=outcome.provider,
        amount=tender.amount,
        currency=tender.currency.upper(),
        correlation_id=key,
        transactions=outcome.transactions,
    )
    moved = sum(getattr(t, field) for t in outcome.transactions if getattr(t, field) > 0)
    if moved != tender.amount:
        # Approved, but not what was asked (a partial authorization): give it back.
        return approval, Refusal(
            "rejected",
            operation,
            outcome.provider,
            identifier,
            "amount_mismatch",
            f"the provider approved {moved} instead of {tender.amount} (minor units)",
        )
    return approval, None


def _failure(outcome: outbound.PaymentOutcome, approval: Approval, operation: str) -> list[Refusal]:
    refusal = refusal_of(outcome, operation, approval.instrument_id)
    return [] if refusal is None else [refusal]
