"""What the SDK raises. Everything derives from :class:`PlatformError`::

    PlatformError                 any failure talking to the platform
    ├── AuthenticationError       the token endpoint refused the credentials (never retried)
    ├── InjectionRejected         a 4xx answer to an injection: the order is refused as sent
    │                             (``error_code`` says why; never retried)
    └── InjectionFailed           the platform kept failing (5xx, 429, 504, transport errors)
                                  until the retry policy gave up: the order may or may not exist;
                                  send the *same* payload again later to find out

Each carries the HTTP ``status`` (None for a transport error), the problem document's
``error_code`` and the parsed ``problem`` body when there was one.
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.problem = problem or {}


class AuthenticationError(PlatformError):
    """The token endpoint answered with an error (wrong tenant, client id or secret)."""


class InjectionRejected(PlatformError):
    """A 4xx answer: the platform refused this order. Fix the payload; retrying cannot help.

    ``same_order_injection_with_different_data`` means an order with this ``external_id``
    exists with other data: injected orders are never modified.
    """


class InjectionFailed(PlatformError):
    """Transient failures until the retry policy gave up; ``attempts`` were made."""

    def __init__(self, message: str, *, attempts: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts
