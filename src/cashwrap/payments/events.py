"""The payment account events' payloads, built from the rows just written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cashwrap.core.money import to_wire
from cashwrap.events import catalog


def transactions(
    rows: Iterable[Mapping[str, Any]], *, field: str
) -> list[catalog.PaymentTransaction]:
    """One wire transaction per row; ``amount`` is the row's ``field`` (``capture_amount`` for an
    authorization, ``refund_amount`` for a capture (+) or a refund (−))."""
    return [
        catalog.PaymentTransaction(
            id=row["id"],
            instrument_id=row["instrument_id"],
            amount=to_wire(row[field], row["currency"]),
            currency=row["currency"],
            correlation_id=row["correlation_id"] or row["id"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def instruments(rows: Iterable[Mapping[str, Any]]) -> list[catalog.PaymentInstrument]:
    return [
        catalog.PaymentInstrument(
            id=row["id"],
            payment_method=row["payment_method"],
            payment_wallet=row["payment_wallet"],
            payment_provider=row["payment_provider"],
        )
        for row in rows
    ]


def authorized(
    account_id: str,
    order_id: str,
    transaction_rows: Sequence[Mapping[str, Any]],
    instrument_rows: Sequence[Mapping[str, Any]],
) -> catalog.PaymentAccountAmountAuthorized:
    return catalog.PaymentAccountAmountAuthorized(
        id=account_id,
        order_id=order_id,
        transactions=transactions(transaction_rows, field="capture_amount"),
        instruments=instruments(instrument_rows),
    )


def captured(
    account_id: str,
    order_id: str,
    transaction_rows: Sequence[Mapping[str, Any]],
    instrument_rows: Sequence[Mapping[str, Any]],
) -> catalog.PaymentAccountAmountCaptured:
    """A capture is two provider transactions (−capturable, +refundable); the event carries the
    one that made the amount refundable, with the captured amount."""
    return catalog.PaymentAccountAmountCaptured(
        id=account_id,
        order_id=order_id,
        transactions=transactions(
            [row for row in transaction_rows if row["refund_amount"] > 0], field="refund_amount"
        ),
        instruments=instruments(instrument_rows),
    )


def refunded(
    account_id: str,
    order_id: str,
    transaction_rows: Sequence[Mapping[str, Any]],
    instrument_rows: Sequence[Mapping[str, Any]],
) -> catalog.PaymentAccountAmountRefunded:
    """Refund transactions carry negative amounts, as NewStore's event does."""
    return catalog.PaymentAccountAmountRefunded(
        id=account_id,
        order_id=order_id,
        transactions=transactions(
            [row for row in transaction_rows if row["refund_amount"] < 0], field="refund_amount"
        ),
        instruments=instruments(instrument_rows),
    )
