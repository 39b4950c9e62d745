from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class ConfigDocument(Base):
    """One configuration document of one tenant (``order_injection``, ``payment``, …).

    ``version`` starts at 1 (a document never written reads as version 1 with its defaults) and
    grows by one on every write; writes are ``UPDATE … WHERE version = :read`` under a row lock,
    so two writers that read the same version cannot both win. ``value`` is NULL when the
    document is not set (never written, or deleted: the row stays so versions never go back).
    """

    __tablename__ = "config_documents"

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(256))
