"""Products, their prices, and the import jobs that bring both (and stock) in.

Products and prices are written in bulk by imports (SQLAlchemy Core upserts); every row carries
the id of the import that last wrote it, which is how a *full* import finds the rows it did not
touch and removes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class Product(Base):
    """A SKU of one shop and locale (NewStore imports products into a ``shop`` + locale)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_tenant_product_id", "tenant", "product_id"),)

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    shop: Mapped[str] = mapped_column(String(128), primary_key=True)
    locale: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    title: Mapped[str] = mapped_column(String(512))
    brand: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProductPrice(Base):
    """The price of a product in one pricebook and currency, in minor units."""

    __tablename__ = "product_prices"

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    pricebook: Mapped[str] = mapped_column(String(128), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    import_id: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportJob(Base):
    """One job of the Import Data API (``POST /v0/d/import``).

    ``checkpoint`` is written in the same transaction as each batch of rows, so a job resumed
    after its process died restarts exactly after the last committed batch. ``heartbeat_at`` is
    refreshed with every batch; a ``processing`` job whose heartbeat is stale belongs to a
    process that is gone and is taken over by another.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_tenant_status", "tenant", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(256))
    source_uri: Mapped[str] = mapped_column(Text)
    transformed_uri: Mapped[str | None] = mapped_column(Text)
    entities: Mapped[list[str]] = mapped_column(JSON)
    full_import: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    records_processed: Mapped[int] = mapped_column(BigInteger, default=0)
    records_imported: Mapped[int] = mapped_column(BigInteger, default=0)
    records_failed: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    locations_created: Mapped[int] = mapped_column(Integer, default=0)
    products_removed: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportRecordError(Base):
    """A record an import could not take, with the file and line it came from (first 1,000)."""

    __tablename__ = "import_errors"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32))
    file: Mapped[str] = mapped_column(String(255))
    line: Mapped[int] = mapped_column(BigInteger)
    error_code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
