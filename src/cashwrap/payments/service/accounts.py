"""Writing and reading payment accounts.

:func:`open_account` writes an account, its instruments and their transactions for payments a
checkout already took, with SQLAlchemy Core (one multi-row INSERT per table: this is on the
order placement path), and records ``payment_account.amount_authorized`` and, when captures
were taken too, ``payment_account.amount_captured`` — in the caller's transaction, around the
caller's own events (``between``), so that the event stream shows them in the seed's order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import RowMapping, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock, sql
from cashwrap.core.errors import Conflict
from cashwrap.core.ids import new_id
from cashwrap.core.money import to_wire
from cashwrap.events import outbox
from cashwrap.payments import events
from cashwrap.payments.models import (
    PaymentAccount,
    PaymentInstrument,
    PaymentTransaction,
)
from cashwrap.payments.service.providers import Approval
from cashwrap.payments.states import HISTORY_METHODS, AccountStatus, account_status

T = TypeVar("T")

accounts_table = cast(Table, PaymentAccount.__table__)
instruments_table = cast(Table, PaymentInstrument.__table__)
transactions_table = cast(Table, PaymentTransaction.__table__)
_INSERT_ACCOUNT = sql.Statement(insert(accounts_table))
_INSERT_INSTRUMENTS = sql.Statement(insert(instruments_table))
_INSERT_TRANSACTIONS = sql.Statement(insert(transactions_table))


@dataclass(frozen=True)
class InstrumentState:
    id: str
    payment_method: str
    payment_wallet: str | None
    payment_provider: str
    currency: str
    authorized: int
    captured: int
    refunded: int
    revoked: int
    pending_release: int
    pending_refund: int

    @property
    def capturable(self) -> int:
        """What is left to capture or revoke, less what an operation in flight reserved."""
        return self.authorized - self.captured - self.revoked - self.pending_release

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded - self.pending_refund


@dataclass(frozen=True)
class AccountState:
    id: str
    order_id: str
    currency: str
    status: AccountStatus
    authorized: int
    captured: int
    refunded: int
    revoked: int
    instruments: tuple[InstrumentState, ...]

    @property
    def capturable(self) -> int:
        return sum(instrument.capturable for instrument in self.instruments)

    @property
    def refundable(self) -> int:
        return sum(instrument.refundable for instrument in self.instruments)

    @property
    def balance(self) -> int:
        """Money the account holds: captured less refunded."""
        return self.captured - self.refunded

    @property
    def methods(self) -> list[str]:
        return [instrument.payment_method for instrument in self.instruments]


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the Sales Orders API's ``payment_history``."""

    amount: float
    category: str
    currency: str
    method: str
    payment_information: str | None


async def open_account(
    session: AsyncSession,
    tenant: str,
    *,
    account_id: str,
    order_id: str,
    currency: str,
    authorizations: Sequence[Approval],
    captures: Sequence[Approval] = (),
    between: Callable[[AsyncSession], Awaitable[T]] | None = None,
    account_is_new: bool = False,
) -> tuple[AccountState, T | None]:
    """Write the account of payments already taken and record its events, in order:
    ``amount_authorized``, then whatever ``between`` records, then ``amount_captured`` (when
    there are captures). The account's row goes with the transaction's next statement
    (``core.sql.insert_later``); a second account with the same id is a 409 raised by whichever
    statement sends it. ``account_is_new``: the caller vouches that no event was ever recorded
    for this id (a checkout's new order id), so the account's event counter starts without a
    read (``outbox.record``'s ``entity_is_new``).
    """
    now = clock.now()
    currency = currency.upper()
    captured_by = {capture.instrument_id: capture for capture in captures}
    instrument_rows: list[dict[str, Any]] = []
    authorization_rows: list[dict[str, Any]] = []
    capture_rows: list[dict[str, Any]] = []
    for position, approval in enumerate(authorizations):
        capture = captured_by.get(approval.instrument_id)
        instrument_rows.append(
            {
                "id": approval.instrument_id,
                "tenant": tenant,
                "account_id": account_id,
                "position": position,
                "payment_method": approval.method,
                "payment_wallet": approval.wallet,
                "payment_provider": approval.provider,
                "currency": approval.currency,
                "authorized": approval.amount,
                "captured": capture.amount if capture else 0,
                "refunded": 0,
                "revoked": 0,
                "pending_release": 0,
                "pending_refund": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        authorization_rows += transaction_rows(tenant, account_id, approval, None, now)
        if capture is not None:
            capture_rows += transaction_rows(tenant, account_id, capture, None, now)
    authorized = sum(approval.amount for approval in authorizations)
    captured = sum(capture.amount for capture in captures)
    status = account_status(authorized=authorized, captured=captured, refunded=0, revoked=0)
    account_row = {
        "id": account_id,
        "tenant": tenant,
        "order_id": order_id,
        "currency": currency,
        "status": str(status),
        "authorized": authorized,
        "captured": captured,
        "refunded": 0,
        "revoked": 0,
        "created_at": now,
        "updated_at": now,
    }
    taken = Conflict(f"payment account {account_id} already exists", code="account_exists")
    await sql.insert_later(session, _INSERT_ACCOUNT, [account_row], refusal=taken)
    await sql.insert_later(session, _INSERT_INSTRUMENTS, instrument_rows)
    await sql.insert_later(session, _INSERT_TRANSACTIONS, authorization_rows + capture_rows)
    if authorization_rows:
        await outbox.record(
            session,
            tenant=tenant,
            payload=events.authorized(account_id, order_id, authorization_rows, instrument_rows),
            entity_type="payment_account",
            entity_id=account_id,
            # Events may exist for an id without an account (a return's refund): only the
            # checkout's new order id is surely new.
            entity_is_new=account_is_new,
        )
    outcome = await between(session) if between is not None else None
    if capture_rows:
        await outbox.record(
            session,
            tenant=tenant,
            payload=events.captured(account_id, order_id, capture_rows, instrument_rows),
            entity_type="payment_account",
            entity_id=account_id,
        )
    state = AccountState(
        id=account_id,
        order_id=order_id,
        currency=currency,
        status=status,
        authorized=authorized,
        captured=captured,
        refunded=0,
        revoked=0,
        instruments=tuple(_instrument(row) for row in instrument_rows),
    )
    return state, outcome


def transaction_rows(
    tenant: str,
    account_id: str,
    approval: Approval,
    operation_id: str | None,
    now: Any,
) -> list[dict[str, Any]]:
    """The rows of an approval's provider transactions (our id, the provider's id kept)."""
    return [
        {
            "id": new_id(),
            "tenant": tenant,
            "account_id": account_id,
            "instrument_id": approval.instrument_id,
            "operation_id": operation_id,
            "provider_transaction_id": transaction.transaction_id[:128],
            "reason": (transaction.reason or "")[:32] or None,
            "capture_amount": transaction.capture_amount,
            "refund_amount": transaction.refund_amount,
            "currency": transaction.currency.upper(),
            "correlation_id": (transaction.correlation_id or approval.correlation_id)[:256],
            "created_at": transaction.created_at or now,
        }
        for transaction in approval.transactions
    ]


async def account_state(
    session: AsyncSession, tenant: str, account_id: str, *, for_update: bool = False
) -> AccountState | None:
    """The account and its instruments, or None when the order has none (another tenant's
    account is None too). ``for_update`` locks the account row (PostgreSQL; SQLite
    transactions are serialized)."""
    query = select(accounts_table).where(
        accounts_table.c.id == account_id, accounts_table.c.tenant == tenant
    )
    if for_update:
        query = query.with_for_update()
    account = (await session.execute(query)).mappings().first()
    if account is None:
        return None
    rows = (
        (
            await session.execute(
                select(instruments_table)
                .where(instruments_table.c.account_id == account_id)
                .order_by(instruments_table.c.position)
            )
        )
        .mappings()
        .all()
    )
    return AccountState(
        id=account["id"],
        order_id=account["order_id"],
        currency=account["currency"],
        status=AccountStatus(account["status"]),
        authorized=account["authorized"],
        captured=account["captured"],
        refunded=account["refunded"],
        revoked=account["revoked"],
        instruments=tuple(_instrument(row) for row in rows),
    )


async def account_transactions(
    session: AsyncSession, tenant: str, account_id: str
) -> list[dict[str, Any]]:
    """The account's transactions, oldest first."""
    rows = (
        (
            await session.execute(
                select(transactions_table)
                .where(
                    transactions_table.c.account_id == account_id,
                    transactions_table.c.tenant == tenant,
                )
                .order_by(transactions_table.c.created_at, transactions_table.c.id)
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


async def payment_history(
    session: AsyncSession, tenant: str, account_id: str
) -> list[HistoryEntry] | None:
    """The order's payments and refunds as the Sales Orders API lists them, or None when the
    account uses a method the API cannot carry (only ``gift_card``, ``credit_card`` and
    ``cash``: b.2 says to omit the history then) or there is no account.

    A payment is what the instrument took (captured, else still authorized); each refund is a
    line of its own.
    """
    state = await account_state(session, tenant, account_id)
    if state is None or any(method not in HISTORY_METHODS for method in state.methods):
        return None
    by_instrument = {instrument.id: instrument for instrument in state.instruments}
    entries: list[HistoryEntry] = []
    for instrument in state.instruments:
        paid = instrument.captured or instrument.authorized - instrument.revoked
        if paid > 0:
            entries.append(_entry(instrument, paid, "payment"))
    for row in await account_transactions(session, tenant, account_id):
        if row["refund_amount"] < 0:
            entries.append(
                _entry(by_instrument[row["instrument_id"]], -row["refund_amount"], "refund")
            )
    return entries


def _entry(instrument: InstrumentState, amount: int, category: str) -> HistoryEntry:
    return HistoryEntry(
        amount=to_wire(amount, instrument.currency),
        category=category,
        currency=instrument.currency,
        method=instrument.payment_method,
        payment_information=instrument.payment_wallet,
    )


def _instrument(row: Mapping[str, Any] | RowMapping) -> InstrumentState:
    return InstrumentState(
        id=row["id"],
        payment_method=row["payment_method"],
        payment_wallet=row["payment_wallet"],
        payment_provider=row["payment_provider"],
        currency=row["currency"],
        authorized=row["authorized"],
        captured=row["captured"],
        refunded=row["refunded"],
        revoked=row["revoked"],
        pending_release=row["pending_release"],
        pending_refund=row["pending_refund"],
    )
