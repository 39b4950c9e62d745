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

# Routes are matched in this order, one after the other: the hot paths of a store's day come
# first, the configuration (set up once) last.
ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    injection.router,
    checkout.router,
    orders.router,
    availability.router,
    fulfillment.router,
    history.router,
    returns.router,
    payments.router,
    locations.router,
    catalog.router,
    events.router,
    doctor.router,
    config.router,
]
