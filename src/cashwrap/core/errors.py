"""Domain errors, each carrying the HTTP status and the stable ``error_code`` it leaves as.

The API edge (``cashwrap.api.problems``) turns every one of them into an
``application/problem+json`` document; services raise them and never build responses.

    DomainError                      400  invalid_request
    ├── InvalidInput                 400  invalid_request (or a more precise code)
    ├── Unauthorized                 401  unauthorized
    ├── Forbidden                    403  forbidden
    ├── NotFound                     404  not_found
    ├── Conflict                     409  conflict
    │   └── InvalidTransition        409  invalid_transition
    ├── PreconditionFailed           412  precondition_error
    ├── RateLimited                  429  too_many_requests   (carries Retry-After)
    ├── ExternalServiceError         503  external_server_error
    └── DatabaseUnavailable          503  database_unavailable, database_busy (Retry-After)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"
    title: ClassVar[str] = "Bad Request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        messages: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = code or self.code
        self.messages = list(messages) if messages else [message]
        self.headers = dict(headers or {})
        # Additional members of the problem document (RFC 9457 extension members).
        self.extra = dict(extra or {})


class InvalidInput(DomainError):
    pass


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_error"
    title = "Precondition Failed"


class RateLimited(DomainError):
    status = 429
    code = "too_many_requests"
    title = "Too Many Requests"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(message, code=code, headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class ExternalServiceError(DomainError):
    status = 503
    code = "external_server_error"
    title = "Service Unavailable"


class DatabaseUnavailable(DomainError):
    """The database could not be reached, or dropped the connection in the middle of a unit of
    work. Nothing of the request was committed — unless the connection dropped during the
    commit itself, which nobody can tell: the writes that matter are idempotent on their key
    (an injection's ``external_id``, a checkout's idempotency key), so the same request again
    is safe."""

    status = 503
    code = "database_unavailable"
    title = "Service Unavailable"

    UNREACHABLE: ClassVar[str] = "cannot be reached"
    LOST: ClassVar[str] = "closed the connection during the request"
    SILENT: ClassVar[str] = "stopped answering during the request"

    def __init__(self, what: str, *, code: str | None = None) -> None:
        # The driver's error (its text may name hosts) is the cause, for the log.
        super().__init__(
            f"The database {what}; retry the same request",
            code=code,
            headers={"Retry-After": "1"},
        )

    @classmethod
    def busy(cls) -> DatabaseUnavailable:
        """The database stayed busy for the pool timeout: every connection of this process's
        pool in use, or on SQLite the write lock held by another connection."""
        return cls(
            "stayed busy (every connection in use, or its write lock held elsewhere)",
            code="database_busy",
        )

    @classmethod
    def deadlock(cls) -> DatabaseUnavailable:
        """PostgreSQL rolled the request's transaction back to let a concurrent one finish (a
        deadlock between them, or a serialization conflict)."""
        return cls("rolled this request back to let a concurrent one finish", code="database_busy")
