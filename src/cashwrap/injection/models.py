"""The record that makes ``POST /v0/d/fulfill_order`` idempotent on ``external_id``.

One row per (tenant, external_id), inserted **first** in the transaction that writes the order,
with the answer already in it: its primary key is the lock that lets exactly one of many
concurrent identical requests create the order. Rows are never updated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class OrderInjection(Base):
    __tablename__ = "order_injections"

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 of the request body as canonical JSON (keys sorted)"
    )
    order_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[int] = mapped_column(Integer, doc="200, or 400 for an order refused as too big")
    response: Mapped[str] = mapped_column(
        Text, doc="200: the exact body answered; 400: the problem's error_code and message (JSON)"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
