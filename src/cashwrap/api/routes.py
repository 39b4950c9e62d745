"""Every router of the platform, in one list: the place to mount a new domain's API."""

from __future__ import annotations

from fastapi import APIRouter

from cashwrap.api import auth, health
from cashwrap.availability import router as availability
from cashwrap.catalog import router as catalog
from cashwrap.checkout import router as checkout
from cashwrap.config import router as config
from cashwrap.doctor import router as doctor
from cashwrap.events import router as events
from cashwrap.fulfillment import router as fulfillment
from cashwrap.history import router as history
from cashwrap.injection import router as injection
from cashwrap.locations import router as locations
from cashwrap.orders import router as orders
from cashwrap.payments import router as payments
from cashwrap.returns import router as returns

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    injection.router,  # early: the OMS's hot path, matched before a hundred other routes
    config.router,
    doctor.router,
    events.router,
    catalog.router,
    locations.router,
    availability.router,
    orders.router,
    fulfillment.router,
    history.router,
    returns.router,
    checkout.router,
    payments.router,
]
