"""The payment account as the API shows it (NewStore's Payment Account API names ``balance``,
``transactions`` and ``instruments``; the members inside are defined by cashwrap)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstrumentView(Wire):
    id: str
    payment_method: str
    payment_wallet: str | None = None
    payment_provider: str
    currency: str
    authorized: float
    captured: float
    refunded: float
    revoked: float
    capturable: float
    refundable: float


class TransactionView(Wire):
    id: str
    instrument_id: str
    reason: str | None = None
    capture_amount: float
    refund_amount: float
    currency: str
    correlation_id: str | None = None
    provider_transaction_id: str
    created_at: str


class PaymentAccountView(Wire):
    id: str
    order_id: str
    currency: str
    status: str
    balance: float
    authorized: float
    captured: float
    refunded: float
    revoked: float
    instruments: list[InstrumentView]
    transactions: list[TransactionView]
