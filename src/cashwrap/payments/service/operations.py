"""Capture, refund, revoke and release an existing account, idempotently, in three steps.

1. :func:`prepare` (caller's transaction): lock the account, plan which instrument moves how
   much under which provider key, **reserve** those amounts on the instruments
   (``pending_release`` / ``pending_refund``) and write the operation ``pending``. A second
   operation cannot spend what this one reserved, even while the provider is being asked.
2. :func:`execute` (no transaction open): ask the providers, entry by entry.
3. :func:`record` (caller's transaction): write the transactions, move the amounts from
   reserved to done (or release the reservation of what was refused), derive the account's
   status, record ``payment_account.amount_captured`` / ``amount_refunded``, and finish the
   operation.

Idempotency: the operation is keyed by the caller's ``idempotency_key`` (unique per tenant).
Repeating a finished operation answers its stored result and calls nobody. Repeating one left
``pending`` (the process died, or a provider's answer was unknown) runs it again with the
**same provider keys**: the provider answers what it did the first time. An unknown outcome is
never recorded as done: the reservation stays until a repeat learns the outcome.

Cash has no provider ledger, so these reservations and checks are what stop capturing,
revoking or refunding more cash than the account holds.

:func:`capture`, :func:`revoke`, :func:`refund` and :func:`release` run the three steps with
their own short transactions; ``then(session, result)`` runs inside the recording transaction
(for example to set the order's payment status with the same commit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database
from cashwrap.events import outbox
from cashwrap.outbound import payments as outbound
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import events
from cashwrap.payments.models import PaymentOperation
from cashwrap.payments.service.accounts import (
    AccountState,
    account_state,
    accounts_table,
    instruments_table,
    transaction_rows,
    transactions_table,
)
from cashwrap.payments.service.providers import (
    Approval,
    PaymentNotTaken,
    Providers,
    Refusal,
    not_taken,
    providers,
    refusal_of,
)
from cashwrap.payments.states import account_status

operations_table = cast(Table, PaymentOperation.__table__)

Kind = Literal["capture", "refund", "revoke", "release"]
Action = Literal["capture", "refund", "revoke"]
KINDS: tuple[str, ...] = ("capture", "refund", "revoke", "release")
MAX_KEY = 200


@dataclass(frozen=True)
class Entry:
    """One provider call of an operation."""

    instrument_id: str
    method: str
    wallet: str | None
    action: Action
    amount: int
    currency: str
    key: str


@dataclass(frozen=True)
class Operation:
    id: str
    tenant: str
    account_id: str
    order_id: str
    kind: str
    idempotency_key: str
    amount: int
    currency: str
    reason: str | None
    state: str
    entries: tuple[Entry, ...]
    unreleased: int = 0
    result: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.state != "pending"


@dataclass(frozen=True)
class OperationResult:
    """How an operation ended.

    ``state``: ``succeeded`` (every provider call done), ``partial`` (some refused),
    ``failed`` (all refused), ``unknown`` (an answer is missing: repeat with the same key).
    ``unreleased`` is what a ``release`` left for a person to refund by hand (captured cash).
    """

    operation_id: str
    kind: str
    state: str
    amount: int
    currency: str
    captured: int = 0
    refunded: int = 0
    revoked: int = 0
    unreleased: int = 0
    account_status: str | None = None
    refusal: Refusal | None = None
    replayed: bool = False

    @property
    def done(self) -> int:
        return self.captured + self.refunded + self.revoked

    def raise_for_refusal(self) -> None:
        """Raise the payment problem of a ``failed`` or ``unknown`` operation."""
        if self.state in ("failed", "unknown") and self.refusal is not None:
            raise not_taken(self.refusal)

    def as_json(self) -> dict[str, Any]:
        refusal = self.refusal
        return {
            "state": self.state,
            "captured": self.captured,
            "refunded": self.refunded,
            "revoked": self.revoked,
            "unreleased": self.unreleased,
            "account_status": self.account_status,
            "refusal": None
            if refusal is None
            else {
                "kind": refusal.kind,
                "operation": refusal.operation,
                "provider": refusal.provider,
                "instrument_id": refusal.instrument_id,
                "error_code": refusal.error_code,
                "message": refusal.message,
            },
        }


@dataclass(frozen=True)
class EntryOutcome:
    entry: Entry
    transactions: tuple[outbound.Transaction, ...] = ()
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Executed:
    operation: Operation
    outcomes: tuple[EntryOutcome, ...] = field(default_factory=tuple)

    @property
    def unknown(self) -> Refusal | None:
        return next(
            (
                outcome.refusal
                for outcome in self.outcomes
                if outcome.refusal is not None and outcome.refusal.kind == "unknown"
            ),
            None,
        )


async def prepare(
    session: AsyncSession,
    tenant: str,
    *,
    account_id: str,
    kind: Kind,
    idempotency_key: str,
    amount: int | None = None,
    reason: str | None = None,
    retry_failed: bool = False,
) -> Operation:
    """Plan and reserve an operation, or find the one already made under this key.

    ``retry_failed``: an operation under this key that ended ``failed`` (nothing moved) is
    kept under a suffixed key and a new one is planned — for callers whose key names a step
    ("hand over order X") rather than one attempt at it.

    ``amount`` None means everything left (capture, revoke) and is required for refund and
    release. A key reused for another account, kind or amount is 409
    ``idempotency_key_reused``; more than is left is 409 ``amount_exceeds_capturable`` /
    ``amount_exceeds_refundable``; nothing left to capture or revoke is 409
    ``nothing_to_capture`` / ``nothing_to_revoke``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown operation kind {kind!r}")
    if not idempotency_key or len(idempotency_key) > MAX_KEY:
        raise InvalidInput(
            f"the idempotency key must be 1 to {MAX_KEY} characters", code="invalid_idempotency_key"
        )
    if amount is not None and (isinstance(amount, bool) or amount <= 0):
        raise InvalidInput("the amount must be positive", code="invalid_amount")
    if amount is None and kind in ("refund", "release"):
        raise ValueError(f"a {kind} needs an amount")
    # The account's lock first: two requests with one key then take turns, and the second
    # finds the first's operation instead of planning its own.
    account = await account_state(session, tenant, account_id, for_update=True)
    if account is None:
        raise NotFound(f"payment account {account_id} not found", code="payment_account_not_found")
    existing = (
        (
            await session.execute(
                select(operations_table).where(
                    operations_table.c.tenant == tenant,
                    operations_table.c.idempotency_key == idempotency_key,
                )
            )
        )
        .mappings()
        .first()
    )
    if existing is not None:
        if (
            existing["account_id"] != account_id
            or existing["kind"] != kind
            or (amount is not None and existing["amount"] != amount)
        ):
            raise Conflict(
                f"idempotency key {idempotency_key!r} was used for another payment operation",
                code="idempotency_key_reused",
            )
        if not (retry_failed and existing["state"] == "failed"):
            return _operation(existing, account.order_id)
        await session.execute(
            update(operations_table)
            .where(operations_table.c.id == existing["id"])
            .values(idempotency_key=f"{idempotency_key[:160]}~{existing['id']}")
        )
    operation_id = new_id()
    entries, unreleased = _plan(account, kind, amount, operation_id)
    total = amount if amount is not None else sum(entry.amount for entry in entries)
    for entry in entries:
        await _reserve(session, entry)
    now = clock.now()
    state = "pending" if entries else "succeeded"
    result = None
    if not entries:
        result = OperationResult(
            operation_id, kind, "succeeded", total, account.currency, unreleased=unreleased,
            account_status=str(account.status),
        ).as_json()  # fmt: skip
    row = {
        "id": operation_id,
        "tenant": tenant,
        "account_id": account_id,
        "kind": kind,
        "idempotency_key": idempotency_key,
        "amount": total,
        "currency": account.currency,
        "reason": reason[:256] if reason else None,
        "state": state,
        "plan": [_entry_json(entry) for entry in entries] + [{"unreleased": unreleased}],
        "result": result,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await session.execute(insert(operations_table), [row])
    except IntegrityError:
        raise Conflict(
            f"a payment operation with key {idempotency_key!r} is being written",
            code="operation_in_progress",
        ) from None
    return _operation(row, account.order_id)


async def find(session: AsyncSession, tenant: str, idempotency_key: str) -> Operation | None:
    """The operation made under a key, if any (to resume one left pending)."""
    row = (
        (
            await session.execute(
                select(operations_table).where(
                    operations_table.c.tenant == tenant,
                    operations_table.c.idempotency_key == idempotency_key,
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    order_id = (
        await session.execute(
            select(accounts_table.c.order_id).where(accounts_table.c.id == row["account_id"])
        )
    ).scalar_one()
    return _operation(row, order_id)


async def execute(operation: Operation, providers: Providers) -> Executed:
    """Ask the providers (no transaction may be open). A finished operation calls nobody."""
    if operation.finished:
        return Executed(operation)
    outcomes: list[EntryOutcome] = []
    for entry in operation.entries:
        provider = providers.for_method(entry.method)
        outcome: outbound.PaymentOutcome
        if entry.action == "capture":
            outcome = await provider.capture(
                idempotency_key=entry.key,
                identifier=entry.instrument_id,
                amount=entry.amount,
                currency=entry.currency,
            )
        elif entry.action == "refund":
            outcome = await provider.refund(
                idempotency_key=entry.key,
                identifier=entry.instrument_id,
                amount=entry.amount,
                currency=entry.currency,
                reason=operation.reason,
            )
        else:
            outcome = await provider.revoke(
                idempotency_key=entry.key,
                identifier=entry.instrument_id,
                amount=entry.amount,
                currency=entry.currency,
                reason=operation.reason,
            )
        outcomes.append(_outcome(entry, outcome))
    return Executed(operation, tuple(outcomes))


async def record(session: AsyncSession, executed: Executed) -> OperationResult:
    """Write what the providers did (see the module). An unknown outcome writes nothing and
    answers ``state="unknown"``; a finished operation answers its stored result."""
    operation = executed.operation
    if operation.finished:
        return _stored_result(operation)
    unknown = executed.unknown
    if unknown is not None:
        return OperationResult(
            operation.id, operation.kind, "unknown", operation.amount, operation.currency,
            refusal=unknown,
        )  # fmt: skip
    account = await account_state(session, operation.tenant, operation.account_id, for_update=True)
    assert account is not None, "an operation's account is never deleted before it"
    current = (
        await session.execute(
            select(operations_table.c.state).where(operations_table.c.id == operation.id)
        )
    ).scalar_one()
    if current != "pending":
        # Another process recorded it between our prepare and now (a resumed repeat).
        stored = (
            (
                await session.execute(
                    select(operations_table).where(operations_table.c.id == operation.id)
                )
            )
            .mappings()
            .one()
        )
        return replace(_stored_result(_operation(stored, account.order_id)), replayed=True)
    now = clock.now()
    done = {"capture": 0, "refund": 0, "revoke": 0}
    rows: list[dict[str, Any]] = []
    refusal: Refusal | None = None
    deltas: dict[str, dict[str, int]] = {}
    for outcome in executed.outcomes:
        entry = outcome.entry
        delta = deltas.setdefault(entry.instrument_id, {})
        pending = "pending_refund" if entry.action == "refund" else "pending_release"
        delta[pending] = delta.get(pending, 0) - entry.amount
        if outcome.refusal is not None:
            refusal = refusal or outcome.refusal
            continue
        column = {"capture": "captured", "refund": "refunded", "revoke": "revoked"}[entry.action]
        delta[column] = delta.get(column, 0) + entry.amount
        done[entry.action] += entry.amount
        approval = Approval(
            instrument_id=entry.instrument_id,
            method=entry.method,
            wallet=entry.wallet,
            provider="",
            amount=entry.amount,
            currency=entry.currency,
            correlation_id=entry.key,
            transactions=outcome.transactions,
        )
        rows += transaction_rows(
            operation.tenant, operation.account_id, approval, operation.id, now
        )
    for instrument_id, delta in deltas.items():
        await session.execute(
            update(instruments_table)
            .where(instruments_table.c.id == instrument_id)
            .values(
                {
                    instruments_table.c[name]: instruments_table.c[name] + value
                    for name, value in delta.items()
                }
                | {instruments_table.c.updated_at: now}
            )
        )
    totals = {
        "authorized": account.authorized,
        "captured": account.captured + done["capture"],
        "refunded": account.refunded + done["refund"],
        "revoked": account.revoked + done["revoke"],
    }
    status = account_status(**totals)
    await session.execute(
        update(accounts_table)
        .where(accounts_table.c.id == operation.account_id)
        .values(**totals, status=str(status), updated_at=now)
    )
    if rows:
        await session.execute(insert(transactions_table), rows)
    instrument_rows = [
        {
            "id": instrument.id,
            "payment_method": instrument.payment_method,
            "payment_wallet": instrument.payment_wallet,
            "payment_provider": instrument.payment_provider,
        }
        for instrument in account.instruments
        if instrument.id in deltas
    ]
    if done["capture"]:
        await outbox.record(
            session,
            tenant=operation.tenant,
            payload=events.captured(operation.account_id, account.order_id, rows, instrument_rows),
            entity_type="payment_account",
            entity_id=operation.account_id,
        )
    if done["refund"]:
        await outbox.record(
            session,
            tenant=operation.tenant,
            payload=events.refunded(operation.account_id, account.order_id, rows, instrument_rows),
            entity_type="payment_account",
            entity_id=operation.account_id,
        )
    moved = sum(done.values())
    state = "succeeded" if refusal is None else ("partial" if moved else "failed")
    result = OperationResult(
        operation_id=operation.id,
        kind=operation.kind,
        state=state,
        amount=operation.amount,
        currency=operation.currency,
        captured=done["capture"],
        refunded=done["refund"],
        revoked=done["revoke"],
        unreleased=operation.unreleased,
        account_status=str(status),
        refusal=refusal,
    )
    await session.execute(
        update(operations_table)
        .where(operations_table.c.id == operation.id, operations_table.c.state == "pending")
        .values(state=state, result=result.as_json(), updated_at=now)
    )
    return result


Then = Callable[[AsyncSession, OperationResult], Awaitable[None]]


async def run(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    account_id: str,
    kind: Kind,
    idempotency_key: str,
    amount: int | None = None,
    reason: str | None = None,
    then: Then | None = None,
) -> OperationResult:
    """Prepare, execute and record one operation with short transactions of its own.

    ``then`` runs in the recording transaction, only when this call recorded the outcome (not
    on a repeat that found it finished, nor when the outcome is unknown).
    """
    async with database.transaction() as session:
        operation = await prepare(
            session,
            tenant,
            account_id=account_id,
            kind=kind,
            idempotency_key=idempotency_key,
            amount=amount,
            reason=reason,
        )
        chosen = await providers(session, tenant, http)
    if operation.finished:
        return replace(_stored_result(operation), replayed=True)
    executed = await execute(operation, chosen)
    unknown = executed.unknown
    if unknown is not None:
        return OperationResult(
            operation.id, operation.kind, "unknown", operation.amount, operation.currency,
            refusal=unknown,
        )  # fmt: skip
    async with database.transaction() as session:
        result = await record(session, executed)
        if then is not None and not result.replayed:
            await then(session, result)
    return result


async def capture(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    account_id: str,
    idempotency_key: str,
    amount: int | None = None,
    then: Then | None = None,
) -> OperationResult:
    """Capture ``amount`` (default: everything left) of the account's authorizations."""
    return await run(
        database, http, tenant, account_id=account_id, kind="capture",
        idempotency_key=idempotency_key, amount=amount, then=then,
    )  # fmt: skip


async def revoke(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    account_id: str,
    idempotency_key: str,
    amount: int | None = None,
    reason: str | None = None,
    then: Then | None = None,
) -> OperationResult:
    """Release ``amount`` (default: everything left to capture) of the authorizations."""
    return await run(
        database, http, tenant, account_id=account_id, kind="revoke",
        idempotency_key=idempotency_key, amount=amount, reason=reason, then=then,
    )  # fmt: skip


async def refund(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    account_id: str,
    amount: int,
    idempotency_key: str,
    reason: str | None = None,
    then: Then | None = None,
) -> OperationResult:
    """Refund ``amount`` (minor units of the account's currency) against the original payment.

    The amount is spread over the account's instruments in the order they were taken, each up
    to what it can still refund (captured less refunded less refunds in flight); more than the
    account can refund is 409 ``amount_exceeds_refundable`` and changes nothing. Records
    ``payment_account.amount_refunded``. Repeating with the same key never refunds twice.
    """
    return await run(
        database, http, tenant, account_id=account_id, kind="refund",
        idempotency_key=idempotency_key, amount=amount, reason=reason, then=then,
    )  # fmt: skip


async def release(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    account_id: str,
    amount: int,
    idempotency_key: str,
    reason: str | None = None,
    then: Then | None = None,
) -> OperationResult:
    """Give back ``amount`` of a cancelled order: revoke what is still only authorized, refund
    what card and gift-card instruments captured; captured cash is left as it is
    (``unreleased``: NewStore shows cancelled cash items as captured and their refund is
    manual)."""
    return await run(
        database, http, tenant, account_id=account_id, kind="release",
        idempotency_key=idempotency_key, amount=amount, reason=reason, then=then,
    )  # fmt: skip


# --- planning --------------------------------------------------------------------------------


def _plan(
    account: AccountState, kind: str, amount: int | None, operation_id: str
) -> tuple[list[Entry], int]:
    if kind in ("capture", "revoke"):
        pool = account.capturable
        if pool <= 0:
            raise Conflict(
                f"payment account {account.id} has nothing left to {kind}",
                code=f"nothing_to_{kind}",
            )
        wanted = pool if amount is None else amount
        if wanted > pool:
            raise Conflict(
                f"{wanted} exceeds what is left to capture ({pool}, minor units)",
                code="amount_exceeds_capturable",
                extra={"capturable": pool},
            )
        action = cast(Action, kind)
        return _spread(account, wanted, action, operation_id, lambda i: i.capturable), 0
    assert amount is not None
    if kind == "refund":
        pool = account.refundable
        if amount > pool:
            raise Conflict(
                f"{amount} exceeds what can be refunded ({pool}, minor units)",
                code="amount_exceeds_refundable",
                extra={"refundable": pool},
            )
        return _spread(account, amount, "refund", operation_id, lambda i: i.refundable), 0
    # release: revoke what is only authorized, then refund what cards captured.
    revocable = min(amount, account.capturable)
    entries = _spread(account, revocable, "revoke", operation_id, lambda i: i.capturable)
    rest = amount - revocable
    refundable = min(
        rest,
        sum(i.refundable for i in account.instruments if i.payment_method != "cash"),
    )
    entries += _spread(
        account,
        refundable,
        "refund",
        operation_id,
        lambda i: i.refundable if i.payment_method != "cash" else 0,
    )
    return entries, rest - refundable


def _spread(
    account: AccountState,
    amount: int,
    action: Action,
    operation_id: str,
    available: Callable[[Any], int],
) -> list[Entry]:
    entries: list[Entry] = []
    left = amount
    for instrument in account.instruments:
        if left <= 0:
            break
        share = min(left, available(instrument))
        if share <= 0:
            continue
        entries.append(
            Entry(
                instrument_id=instrument.id,
                method=instrument.payment_method,
                wallet=instrument.payment_wallet,
                action=action,
                amount=share,
                currency=instrument.currency,
                key=f"{action}:{operation_id}:{instrument.id}",
            )
        )
        left -= share
    return entries


async def _reserve(session: AsyncSession, entry: Entry) -> None:
    table = instruments_table
    if entry.action == "refund":
        column = table.c.pending_refund
        left = table.c.captured - table.c.refunded - table.c.pending_refund
    else:
        column = table.c.pending_release
        left = table.c.authorized - table.c.captured - table.c.revoked - table.c.pending_release
    result = await session.execute(
        update(table)
        .where(table.c.id == entry.instrument_id, left >= entry.amount)
        .values({column: column + entry.amount})
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(
            f"instrument {entry.instrument_id} changed while the operation was planned",
            code="concurrent_modification",
        )


# --- reading answers ---------------------------------------------------------------------------


def _outcome(entry: Entry, outcome: outbound.PaymentOutcome) -> EntryOutcome:
    refusal = refusal_of(outcome, entry.action, entry.instrument_id)
    if refusal is not None:
        return EntryOutcome(entry, refusal=refusal)
    assert isinstance(outcome, outbound.Approved)
    transactions = outcome.transactions
    if entry.action == "capture":
        moved = sum(t.refund_amount for t in transactions if t.refund_amount > 0)
    elif entry.action == "refund":
        moved = -sum(t.refund_amount for t in transactions if t.refund_amount < 0)
    else:
        moved = -sum(t.capture_amount for t in transactions if t.capture_amount < 0)
    if moved != entry.amount:
        # The provider says it moved another amount than asked. It is recorded as refused
        # (the reservation is released) and surfaces to a person through the error.
        return EntryOutcome(
            entry,
            refusal=Refusal(
                "rejected",
                entry.action,
                outcome.provider,
                entry.instrument_id,
                "amount_mismatch",
                f"the provider moved {moved} instead of {entry.amount} (minor units)",
            ),
        )
    return EntryOutcome(entry, transactions=transactions)


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "instrument_id": entry.instrument_id,
        "method": entry.method,
        "wallet": entry.wallet,
        "action": entry.action,
        "amount": entry.amount,
        "currency": entry.currency,
        "key": entry.key,
    }


def _operation(row: Any, order_id: str) -> Operation:
    plan: Sequence[dict[str, Any]] = row["plan"]
    return Operation(
        id=row["id"],
        tenant=row["tenant"],
        account_id=row["account_id"],
        order_id=order_id,
        kind=row["kind"],
        idempotency_key=row["idempotency_key"],
        amount=row["amount"],
        currency=row["currency"],
        reason=row["reason"],
        state=row["state"],
        entries=tuple(
            Entry(
                instrument_id=item["instrument_id"],
                method=item["method"],
                wallet=item["wallet"],
                action=item["action"],
                amount=item["amount"],
                currency=item["currency"],
                key=item["key"],
            )
            for item in plan
            if "action" in item
        ),
        unreleased=sum(item.get("unreleased", 0) for item in plan),
        result=row["result"],
    )


def _stored_result(operation: Operation) -> OperationResult:
    stored = operation.result or {}
    refusal = stored.get("refusal")
    return OperationResult(
        operation_id=operation.id,
        kind=operation.kind,
        state=stored.get("state", operation.state),
        amount=operation.amount,
        currency=operation.currency,
        captured=stored.get("captured", 0),
        refunded=stored.get("refunded", 0),
        revoked=stored.get("revoked", 0),
        unreleased=stored.get("unreleased", 0),
        account_status=stored.get("account_status"),
        refusal=None if refusal is None else Refusal(**refusal),
        replayed=True,
    )


__all__ = [
    "Entry",
    "Executed",
    "Operation",
    "OperationResult",
    "PaymentNotTaken",
    "capture",
    "execute",
    "prepare",
    "record",
    "refund",
    "release",
    "revoke",
    "run",
]
