"""The payloads a return publishes, built from its rows (never re-read from the database).

``order_id`` in ``return.processed`` and ``refund_request.issued`` names the order the goods
were bought with, in the terms of whoever holds it: the platform's order id when the platform
has the order, otherwise the external OMS's own order id (the OMS refunds its order); for a
blind return, the order the return created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cashwrap.core.money import to_wire
from cashwrap.events import catalog
from cashwrap.outbound.payments import Transaction


def event_order_id(row: Mapping[str, Any]) -> str:
    if row["order_id"] is not None:
        return str(row["order_id"])
    if row["kind"] == "blind":
        return str(row["return_order_id"])
    return str(row["order_number"])


def return_processed(
    row: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> catalog.ReturnProcessed:
    currency = row["currency"]

    def money(amount: int) -> float:
        return to_wire(amount, currency)

    total, tax = row["total_refund_amount"], row["total_refund_tax"]
    return catalog.ReturnProcessed(
        id=row["id"],
        order_id=event_order_id(row),
        returned_at=row["returned_at"],
        total_refund_amount=money(total),
        total_refund_amount_adjusted=money(total - row["return_fee"]),
        total_refund_excl_tax=money(total - tax),
        total_refund_tax=money(tax),
        return_fee=money(row["return_fee"]),
        currency=currency,
        return_location_id=row["returned_from"],
        customer_id=row["customer_id"],
        customer_email=row["customer_email"],
        associate_id=row["associate_id"],
        associate_email=row["associate_email"],
        items=[
            catalog.ReturnItem(
                id=item["order_item_id"] or item["id"],
                product_id=item["product_id"],
                quantity=1,
                refund_amount=money(item["refund_amount"]),
                refund_amount_adjusted=money(item["refund_amount"]),
                refund_excl_tax=money(item["refund_amount"] - item["refund_tax"]),
                refund_tax=money(item["refund_tax"]),
                item_condition=item["item_condition"],
                condition_code=_number(item["condition_code"]),
                return_reason=item["return_reason"],
                return_code=item["return_code"],
            )
            for item in items
        ],
    )


def refund_request_issued(
    row: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    payment_account_id: str,
    amount: int,
) -> catalog.RefundRequestIssued:
    reasons = [item["return_reason"] for item in items if item["return_reason"]]
    codes = [item["return_code"] for item in items if item["return_code"] is not None]
    return catalog.RefundRequestIssued(
        id=row["refund_request_id"],
        order_id=event_order_id(row),
        payment_account_id=payment_account_id,
        amount=to_wire(amount, row["currency"]),
        currency=row["currency"],
        requested_at=row["returned_at"],
        return_reason=reasons[0] if reasons else None,
        reason_code=codes[0] if codes else None,
        associate_id=row["associate_id"],
        associate_email=row["associate_email"],
        note=row["note"],
    )


def external_refunded(
    row: Mapping[str, Any], account_id: str, transactions: Sequence[Transaction], *, at: datetime
) -> catalog.PaymentAccountAmountRefunded:
    """The placeholder adapter's refund, booked on the payment account of the return's own
    order; ``order_id`` names the order the OMS refunds (see :func:`event_order_id`)."""
    return catalog.PaymentAccountAmountRefunded(
        id=account_id,
        order_id=event_order_id(row),
        transactions=[
            catalog.PaymentTransaction(
                id=transaction.transaction_id,
                instrument_id=transaction.instrument_id,
                amount=to_wire(transaction.refund_amount, transaction.currency),
                currency=transaction.currency,
                correlation_id=transaction.correlation_id or transaction.transaction_id,
                created_at=transaction.created_at or at,
            )
            for transaction in transactions
        ],
        instruments=[
            catalog.PaymentInstrument(
                id=instrument_id,
                payment_method="external",
                payment_provider="external",
            )
            for instrument_id in dict.fromkeys(t.instrument_id for t in transactions)
        ],
    )


def _number(code: str | None) -> int | None:
    """``condition_code`` is a number on the event; codes that are not numbers are left out."""
    return int(code) if code is not None and code.isdigit() else None
