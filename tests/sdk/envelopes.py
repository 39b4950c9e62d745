"""Event-stream deliveries as the platform sends them: envelopes and signed headers."""

from __future__ import annotations

import base64
import os
import time
import uuid
from typing import Any

from cashwrap.events import catalog
from cashwrap.sdk.signatures import sign

API_KEY = "receiver-key-0123456789"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def envelope(payload: catalog.EventPayload, *, tenant: str = "acme") -> dict[str, Any]:
    key = str(uuid.uuid4())
    body = payload.model_dump(mode="json")
    if body.get("logical_timestamp") is None:
        body["logical_timestamp"] = 1
    return {
        "tenant": tenant,
        "name": payload.name,
        "published_at": "2026-11-27T10:00:00Z",
        "payload": body,
        "idempotency_key": key,
        "event_id": key,
        "payload_version": 1,
    }


def signed_headers(
    secret: str, event: dict[str, Any], body: bytes, api_key: str = API_KEY, **override: Any
) -> dict[str, str]:
    timestamp = int(override.pop("timestamp", time.time()))
    message_id = event["idempotency_key"]
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {api_key}",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
    headers.update(override)
    return headers
