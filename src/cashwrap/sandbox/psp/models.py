"""The sandbox PSP's ledger: financial instruments and the transactions that move their amounts.

An instrument's amounts are kept in minor units and always satisfy::

    capturable = authorized - captured - revoked >= 0
    refundable = captured - refunded             >= 0

Every change is also a transaction row whose ``capture_amount`` / ``refund_amount`` are the
signed changes of the capturable and refundable amounts, which is how the contract reports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cashwrap.core.db import NAMING_CONVENTION


class PspBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Instrument(PspBase):
    __tablename__ = "psp_instruments"

    identifier: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    payment_method: Mapped[str] = mapped_column(String(64))
    payment_wallet: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    authorized: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    revoked: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def capturable(self) -> int:
        return 0 if self.voided else self.authorized - self.captured - self.revoked

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded


class Transaction(PspBase):
    __tablename__ = "psp_transactions"

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("psp_instruments.identifier"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    capture_amount: Mapped[int] = mapped_column(BigInteger)
    refund_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    correlation_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
