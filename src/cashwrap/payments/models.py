"""Payment accounts, their instruments, transactions and the operations that move them.

Money columns are integers of minor units in the account's ``currency``. An instrument's amounts
only grow; ``pending_release`` and ``pending_refund`` hold what an operation in flight has
reserved (capture or revoke, refund), so that two operations cannot both spend the same amount
while the payment provider is being asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class PaymentAccount(Base):
    """One per order; its id is the order's id (NewStore's payment account)."""

    __tablename__ = "payment_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(36))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), doc="Derived from the amounts; see states")
    authorized: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentInstrument(Base):
    """A financial instrument: what one tender reserved at the payment provider (or in cash)."""

    __tablename__ = "payment_instruments"
    __table_args__ = (Index("ix_payment_instruments_account", "account_id", "position"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True, doc="Sent as `identifier`")
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("payment_accounts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    payment_method: Mapped[str] = mapped_column(String(64))
    payment_wallet: Mapped[str | None] = mapped_column(String(64))
    payment_provider: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    authorized: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[int] = mapped_column(BigInteger)
    pending_release: Mapped[int] = mapped_column(
        BigInteger, doc="Reserved by a capture or revoke in flight"
    )
    pending_refund: Mapped[int] = mapped_column(BigInteger, doc="Reserved by a refund in flight")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentTransaction(Base):
    """One movement of an instrument's amounts, as the provider reported it (signed changes of
    what is left to capture and of what can be refunded)."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        UniqueConstraint("instrument_id", "provider_transaction_id"),
        Index("ix_payment_transactions_account", "account_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("payment_accounts.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(128))
    operation_id: Mapped[str | None] = mapped_column(String(36))
    provider_transaction_id: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(32))
    capture_amount: Mapped[int] = mapped_column(BigInteger)
    refund_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    correlation_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentOperation(Base):
    """A capture, refund, revoke or release asked of an existing account, by idempotency key.

    Written ``pending`` with its plan (which instrument, how much, under which provider key)
    before the provider is called, so a repeat with the same key resumes it with the same keys.
    """

    __tablename__ = "payment_operations"
    __table_args__ = (
        UniqueConstraint("tenant", "idempotency_key"),
        Index("ix_payment_operations_account", "account_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("payment_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), doc="capture | refund | revoke | release")
    idempotency_key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(16), doc="pending | succeeded | partial | failed")
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
