"""The sandbox carrier's state: offers it quoted, shipments it booked, their tracking events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cashwrap.core.db import NAMING_CONVENTION


class CarrierBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Offer(CarrierBase):
    """A quoted offer; its token is what a booking names. ``expires_at`` None never expires."""

    __tablename__ = "carrier_offers"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    rate: Mapped[str] = mapped_column(String(256))
    carrier_code: Mapped[str] = mapped_column(String(256))
    service_level: Mapped[str] = mapped_column(String(256))
    shipping_type: Mapped[str] = mapped_column(String(32))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fulfillment_node_id: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Shipment(CarrierBase):
    __tablename__ = "carrier_shipments"

    shipment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    return_tracking_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    rate: Mapped[str] = mapped_column(String(256))
    carrier_code: Mapped[str] = mapped_column(String(256))
    service_level: Mapped[str | None] = mapped_column(String(256), nullable=True)
    booking_method: Mapped[str] = mapped_column(String(32))
    external_order_id: Mapped[str] = mapped_column(String(256), index=True)
    fulfillment_node_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    offer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    routing_code: Mapped[str] = mapped_column(String(64))
    booking: Mapped[dict[str, Any]] = mapped_column(JSON)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrackingEvent(CarrierBase):
    __tablename__ = "carrier_tracking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[str] = mapped_column(
        ForeignKey("carrier_shipments.shipment_id"), index=True
    )
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(256))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
