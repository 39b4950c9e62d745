"""The signature every event-stream delivery carries ([Standard Webhooks](https://www.standardwebhooks.com)).

``webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>``
where ``key`` is the base64 part of the integration's signing secret ``whsec_…`` (returned once,
when the integration is registered). Several signatures may be sent, separated by spaces (during
a key rotation); one match is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The delivery's signature headers are missing, stale or do not match."""


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a signing secret is 'whsec_' followed by base64") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for ``body`` (``v1,<base64>``)."""
    digest = hmac.new(
        _key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256
    ).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless ``body`` is signed with ``secret`` within
    ``tolerance`` seconds of ``now`` (a replayed old delivery is refused; the platform signs
    every attempt afresh). ``headers`` keys are lower case."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a number of seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise SignatureError(f"webhook-timestamp is more than {tolerance} s away from now")
    expected = sign(secret, message_id, sent_at, body)
    if not any(hmac.compare_digest(given, expected) for given in signatures.split()):
        raise SignatureError("no webhook-signature matches the body")
