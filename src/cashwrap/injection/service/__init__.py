"""Order injection (``POST /v0/d/fulfill_order``).

* :mod:`.inject` — the use case: idempotent on ``external_id``, one transaction.
* :mod:`.rules` — the payload's own rules (400s) and its amounts in minor units.
* :mod:`.tokens` — cashwrap's shipping offer tokens.
* :mod:`.ratelimit` — the per-tenant token bucket.
"""

from __future__ import annotations

from pydantic import ValidationError

from cashwrap.core.errors import InvalidInput
from cashwrap.injection.schemas import InjectedOrderRequest
from cashwrap.injection.service.inject import ShippingProviderUnavailable, fingerprint, inject
from cashwrap.injection.service.ratelimit import TokenBuckets
from cashwrap.injection.service.tokens import OfferToken, decode, encode

__all__ = [
    "OfferToken",
    "ShippingProviderUnavailable",
    "TokenBuckets",
    "decode",
    "encode",
    "fingerprint",
    "inject",
    "parse",
]

_TAGS = frozenset({"injected", "historical"})


def parse(raw: bytes) -> InjectedOrderRequest:
    """Validate the body once; 400 naming every offending field (``schema_validation_error``,
    the code integrators see from NewStore) or ``invalid_json``."""
    try:
        return InjectedOrderRequest.model_validate_json(raw)
    except ValidationError as error:
        messages = []
        fields = []
        code = "schema_validation_error"
        for problem in error.errors(include_url=False):
            if problem["type"] == "json_invalid":
                code = "invalid_json"
                path = "body"
            else:
                path = ".".join(str(part) for part in problem["loc"] if part not in _TAGS) or "body"
            text = str(problem["msg"]).removeprefix("Value error, ")
            if path == "body" and ": " in text:
                # Rules across fields say which field they are about: "shipments.0: …".
                path, text = text.split(": ", 1)
            messages.append(f"{path}: {text}")
            fields.append({"field": path, "message": text, "type": problem["type"]})
        raise InvalidInput(
            "; ".join(messages), code=code, messages=messages, extra={"errors": fields}
        ) from None
