"""The delivery policy: how a request is signed, and what each response means.

    2xx                                        delivered
    408, 429, 5xx                              retried (Retry-After honoured, up to 1 hour)
    timeout, refused/reset connection, DNS     retried
    any other status (1xx, 3xx, other 4xx)     rejected: kept, visible, retried only by hand
    still failing at the horizon               dead-lettered: kept, visible, retried by hand

Retries back off exponentially with jitter: the n-th retry waits
``min(retry_max, retry_base * 2**(n-1))`` scaled by a random factor in ``[0.5, 1.0]``. The horizon
counts from the delivery's first attempt: a retryable failure whose next attempt would fall after
it dead-letters the delivery instead.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` is the
event id, ``webhook-timestamp`` the attempt's Unix time in seconds, and ``webhook-signature`` is
``v1,`` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")) where ``secret`` is the base64
part of the integration's ``whsec_…`` signing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
RETRY_AFTER_CAP_SECONDS = 3600.0
RESPONSE_BODY_LIMIT = 1024
USER_AGENT = "cashwrap-event-stream/1"


class Outcome(StrEnum):
    """What one attempt led to (the ``outcome`` of an attempt row)."""

    DELIVERED = "delivered"  # 2xx
    RETRY = "retry"  # a retryable failure; another attempt is scheduled
    REJECTED = "rejected"  # a non-retryable status; kept until retried by hand
    DEAD_LETTERED = "dead_lettered"  # a retryable failure past the horizon


class DeliveryState(StrEnum):
    """The state of a delivery (one event to one integration)."""

    PENDING = "pending"  # waiting for its first attempt or for a retry
    DELIVERED = "delivered"  # acknowledged with a 2xx
    REJECTED = "rejected"  # answered with a non-retryable status
    DEAD_LETTERED = "dead_lettered"  # still failing at the retry horizon


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str | bytes, message_id: str, timestamp: int, body: bytes) -> str:
    key = signing_key(secret) if isinstance(secret, str) else secret
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    *, event_id: str, body: bytes, secret: str | bytes, api_key: str | None, timestamp: int
) -> dict[str, str]:
    result = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": event_id,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }
    if api_key:
        result["Authorization"] = f"Bearer {api_key}"
    return result


def is_retryable_status(status: int) -> bool:
    return status in (408, 429) or 500 <= status <= 599


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max((moment - now).total_seconds(), 0.0), RETRY_AFTER_CAP_SECONDS)


def backoff_seconds(failures: int, *, base: float, cap: float) -> float:
    """Delay before the next attempt after ``failures`` failed attempts (1 or more)."""
    exponent = min(max(failures - 1, 0), 30)
    delay: float = min(cap, base * float(2**exponent)) * random.uniform(0.5, 1.0)
    return delay


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    delay_seconds: float = 0.0


def decide(
    *,
    status: int | None,
    retry_after: float | None,
    failures: int,
    first_attempt_at: datetime,
    now: datetime,
    base: float,
    cap: float,
    horizon: float,
) -> Decision:
    """Classify an attempt. ``status`` is None when no response came (timeout, connection).

    ``failures`` counts this attempt when it failed.
    """
    if status is not None and 200 <= status <= 299:
        return Decision(Outcome.DELIVERED)
    if status is not None and not is_retryable_status(status):
        return Decision(Outcome.REJECTED)
    delay = (
        retry_after if retry_after is not None else backoff_seconds(failures, base=base, cap=cap)
    )
    if (now - first_attempt_at).total_seconds() + delay > horizon:
        return Decision(Outcome.DEAD_LETTERED)
    return Decision(Outcome.RETRY, delay)


def truncate(text: str | None, limit: int = RESPONSE_BODY_LIMIT) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit] + "…"
