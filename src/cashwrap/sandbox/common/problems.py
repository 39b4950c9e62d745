"""Problem documents a sandbox answers with, shaped like the platform's and NewStore's ``Problem``.

``{"type", "title", "status", "detail", "error_code", "message", "messages", "request_id"}`` with
``Content-Type: application/problem+json``. A contract operation raises :class:`SandboxProblem`;
whether the answer is kept for the idempotency key is the ``store`` flag: business answers
(a decline, a refused command, an invalid body) are kept, transient ones (an injected 500, 503 or
429) are not, so that a retry with the same key can still succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_body(
    status: int,
    error_code: str,
    message: str,
    *,
    messages: Sequence[str] | None = None,
    request_id: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    # error_code first: a caller that keeps only the start of an error body still finds it.
    body: dict[str, Any] = {
        "error_code": error_code,
        "status": status,
        "type": f"/problems/{error_code}",
        "title": _title(status),
        "message": message,
        "detail": message,
        "messages": list(messages) if messages else [message],
        "request_id": request_id,
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


class SandboxProblem(Exception):
    """An error answer of a sandbox operation; rolls back what the operation wrote."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        messages: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        store: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.messages = list(messages) if messages else [message]
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.store = store

    def body(self, request_id: str = "") -> dict[str, Any]:
        return problem_body(
            self.status,
            self.error_code,
            self.message,
            messages=self.messages,
            request_id=request_id,
            extra=self.extra,
        )


def validation_messages(errors: Sequence[Any]) -> list[str]:
    """``field.path: what is wrong`` for each Pydantic error."""
    messages = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or "body"
        text = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        messages.append(f"{field}: {text}")
    return messages


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
