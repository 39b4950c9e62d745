"""Fulfillment locations, on-hand stock, reservations and their configuration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cashwrap.core.db import Base


class FulfillmentLocation(Base):
    """A place that holds stock: a store (it has a ``store_id``) or a warehouse / DC.

    Created by the first availability import that names its ``fulfillment_node_id`` (the seed's
    "dummy availability import"); a ``store_mapping`` record gives it its store identity.
    """

    __tablename__ = "fulfillment_locations"
    __table_args__ = (UniqueConstraint("tenant", "store_id"),)

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    fulfillment_node_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    store_id: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(256))
    country_code: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_by_import: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockLevel(Base):
    """Units on hand of one product at one location (before reservations)."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant", "fulfillment_node_id"],
            ["fulfillment_locations.tenant", "fulfillment_locations.fulfillment_node_id"],
            ondelete="CASCADE",
        ),
    )

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    fulfillment_node_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reservation(Base):
    """A hold on units at one location (Reservations API), or an order's soft allocation."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("tenant", "idempotency_key"),
        Index("ix_reservations_tenant_location_status", "tenant", "location_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(String(128))
    customer_profile_id: Mapped[str | None] = mapped_column(String(255))
    associate_id: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    display_id: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReservationItem(Base):
    """One reserved unit. ``location_id``, ``tenant`` and ``expires_at`` are copied from the
    reservation so that ATP counts active holds with one indexed query — one that reads the
    unexpired items only: an expired item stays ``RESERVED``, so ``expires_at`` comes last in
    the index (migration 0011)."""

    __tablename__ = "reservation_items"
    __table_args__ = (
        Index(
            "ix_reservation_items_holds",
            "tenant",
            "location_id",
            "product_id",
            "status",
            "expires_at",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[str] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    cart_id: Mapped[str | None] = mapped_column(String(255))
    order_item_id: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReservationConfig(Base):
    """``/inventory/config/reservations`` of one tenant (absent: 1440 minutes, no emails)."""

    __tablename__ = "reservation_configs"

    tenant: Mapped[str] = mapped_column(
        ForeignKey("tenants.name", ondelete="CASCADE"), primary_key=True
    )
    expires_in_min: Mapped[int] = mapped_column(Integer)
    send_accepted_emails: Mapped[bool] = mapped_column(Boolean)
    send_rejected_emails: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
