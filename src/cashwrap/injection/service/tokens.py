"""Shipping offer tokens (``shipping_option.shipping_offer_token``), defined by cashwrap.

NewStore's tokens come from its routing options and are opaque. cashwrap's are readable:
``cwso1.`` followed by the unpadded base64url of a JSON object::

    {"service_level": "Priority",            required
     "shipping_type": "traditional_carrier", traditional_carrier | same_day_delivery |
                                             in_store_pick_up (default traditional_carrier)
     "fulfillment_node_id": "US01",          where the offer ships from (optional)
     "expires_at": "2026-12-01T00:00:00Z"}   optional; an in-store pickup offer never expires

A token that does not read this way is refused as NewStore refuses one it cannot parse
(400 ``invalid_shipments``). :func:`encode` builds one.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cashwrap.core import clock

PREFIX = "cwso1."
SHIPPING_TYPES = frozenset({"traditional_carrier", "same_day_delivery", "in_store_pick_up"})


@dataclass(frozen=True)
class OfferToken:
    service_level: str
    shipping_type: str = "traditional_carrier"
    fulfillment_node_id: str | None = None
    expires_at: datetime | None = None

    def expired(self, at: datetime | None = None) -> bool:
        if self.shipping_type == "in_store_pick_up" or self.expires_at is None:
            return False
        return self.expires_at <= (at or clock.now())


def encode(token: OfferToken) -> str:
    body: dict[str, Any] = {
        "service_level": token.service_level,
        "shipping_type": token.shipping_type,
    }
    if token.fulfillment_node_id is not None:
        body["fulfillment_node_id"] = token.fulfillment_node_id
    if token.expires_at is not None:
        body["expires_at"] = clock.isoformat(clock.as_utc(token.expires_at))
    return PREFIX + base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")


def decode(text: str) -> OfferToken | None:
    """The token's offer, or None when it cannot be read."""
    if not text.startswith(PREFIX):
        return None
    payload = text[len(PREFIX) :]
    try:
        body = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    level = body.get("service_level")
    shipping_type = body.get("shipping_type", "traditional_carrier")
    node = body.get("fulfillment_node_id")
    expires = body.get("expires_at")
    if not isinstance(level, str) or not 1 <= len(level) <= 64:
        return None
    if shipping_type not in SHIPPING_TYPES:
        return None
    if node is not None and (not isinstance(node, str) or not 1 <= len(node) <= 256):
        return None
    expires_at = None
    if expires is not None:
        if not isinstance(expires, str):
            return None
        try:
            expires_at = clock.as_utc(datetime.fromisoformat(expires.replace("Z", "+00:00")))
        except ValueError:
            return None
    return OfferToken(level, shipping_type, node, expires_at)
